from .content import ContentFile
from .lookups import Department, Instructor, Offeror, Platform, Topic
from .resources import (
    Availability,
    CertificationType,
    Delivery,
    Format,
    LearningResource,
    Level,
    Pace,
    RelationType,
    ResourceInstructor,
    ResourceRelationship,
    ResourceType,
    Run,
    SourceSnapshot,
)

__all__ = [
    "Availability",
    "CertificationType",
    "ContentFile",
    "Delivery",
    "Department",
    "Format",
    "Instructor",
    "LearningResource",
    "Level",
    "Offeror",
    "Pace",
    "Platform",
    "RelationType",
    "ResourceInstructor",
    "ResourceRelationship",
    "ResourceType",
    "Run",
    "SourceSnapshot",
    "Topic",
]

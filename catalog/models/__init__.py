from .content import ContentFile
from .facets import CatalogueVersion, FacetCombination
from .lists import LearnerList, LearnerListItem, ListPrivacy
from .lookups import Department, Instructor, Offeror, Platform, Topic
from .resources import (
    Availability,
    CertificationType,
    Delivery,
    Format,
    ImageFetchStatus,
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
    "CatalogueVersion",
    "CertificationType",
    "ContentFile",
    "Delivery",
    "FacetCombination",
    "Department",
    "Format",
    "ImageFetchStatus",
    "Instructor",
    "LearnerList",
    "LearnerListItem",
    "ListPrivacy",
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

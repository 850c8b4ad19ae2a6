"""Course archives → content files: Open edX OLX exports and IMS Common Cartridges."""

from .records import ContentFileRecord, CourseArchive

__all__ = ["ContentFileRecord", "CourseArchive"]

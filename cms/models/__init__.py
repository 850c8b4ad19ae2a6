from .api_keys import ApiKey
from .images import CustomImage, CustomRendition
from .operations import PageCacheGeneration, WorkerHeartbeat
from .pages import BasePage, HomePage, LandingPage, ProgramPage, ProgramPageCourse, StandardPage
from .site_settings import SiteSettings
from .snippets import NavigationMenu, NavigationMenuItem
from .users import User

__all__ = [
    "ApiKey",
    "BasePage",
    "CustomImage",
    "CustomRendition",
    "HomePage",
    "LandingPage",
    "NavigationMenu",
    "NavigationMenuItem",
    "PageCacheGeneration",
    "ProgramPage",
    "ProgramPageCourse",
    "SiteSettings",
    "StandardPage",
    "User",
    "WorkerHeartbeat",
]

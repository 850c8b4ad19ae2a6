"""Source modules; importing this package registers every source (done at app ready).

Add a source by writing `importers/sources/<name>.py` and adding its module name to SOURCE_MODULES.
"""

from importlib import import_module

SOURCE_MODULES = [
    "content_archives",
    "csv_catalog",
    "edx",
    "feeds",
    "micromasters",
    "mitpe",
    "mitpe_news",
    "mitxonline",
    "ocw",
    "ocw_content",
    "ol_events",
    "oll",
    "ovs",
    "podcasts",
    "sloan",
    "xpro",
    "youtube",
    # Issue 18: PostHog views, MIT Climate articles, Sloan Executive Education news and webinars, marketing pages.
    "mit_climate",
    "posthog",
    "sloan_news",
    "marketing_pages",
]

for _module in SOURCE_MODULES:
    try:
        import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:
        # A module still being written by its author; the others still register.
        if exc.name != f"{__name__}.{_module}":
            raise

"""Who may say where an import source reads from.

A source's settings (SourceSettings.config, edited on its admin page) can name server paths, URLs, buckets and
endpoints. Anyone who may run imports could otherwise point a source at /etc/passwd or an internal URL and read it
back in a dry run's diff, or send the source's API credentials to a token URL of their choosing. So those settings
are for administrators only: superusers and members of the Administrators group (cms migration 0008_roles). The
others may still change everything else (a CSV mapping, separators, topics) and the on/off switch.

A setting names a location when its key says so (`url`, `path`, `location`, `bucket`, `endpoint_url`, ...) or when
its value looks like one (an absolute or home path, `..`, or anything with a scheme such as `s3://`), at any depth.
"""

import re

ADMINISTRATORS_GROUP = "Administrators"

_LOCATION_KEY = re.compile(
    r"(?:^|_)(?:url|urls|uri|path|paths|location|locations|bucket|prefix|directory|dir|endpoint|host|root|file|files)"
    r"(?:$|_)",
    re.IGNORECASE,
)
_LOCATION_VALUE = re.compile(r"^\s*(?:/|~|\\\\|[a-z][a-z0-9+.-]*://|[a-z][a-z0-9+.-]*:/|file:|[a-z]:\\)|\.\.", re.I)


def can_edit_locations(user) -> bool:
    """Superusers and the Administrators group."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=ADMINISTRATORS_GROUP).exists()


def _names_location(value) -> bool:
    if isinstance(value, str):
        return bool(_LOCATION_VALUE.search(value))
    if isinstance(value, dict):
        return any(_LOCATION_KEY.search(str(key)) or _names_location(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_names_location(item) for item in value)
    return False


def location_keys(config: dict) -> set[str]:
    """The top-level keys of `config` that name (or contain) a server path or URL."""
    return {key for key, value in (config or {}).items() if _LOCATION_KEY.search(str(key)) or _names_location(value)}


def changed_locations(saved: dict, submitted: dict) -> list[str]:
    """Location keys that `submitted` adds or changes relative to `saved` (removing one falls back to the
    operator's environment settings, which is allowed)."""
    saved = saved or {}
    return sorted(key for key in location_keys(submitted) if key not in saved or saved[key] != submitted[key])


def refusal_message(keys: list[str]) -> str:
    return (
        f"Only administrators may change where this source reads from ({', '.join(keys)}): these settings name "
        "server paths or URLs. Leave them as they were, or ask an administrator to change them."
    )

"""Demo loader (manage.py load_demo_content): lists the import schedule of every registered source, saying which
content sources are idle. The schedules themselves come from `cms.tasks.ensure_default_schedules` (`manage.py
setup`), which the demo loader runs first; `sync_import_schedules` only returns them here.

Content-file sources (kind "content") are scheduled like the others on the content queue; while their location is
not configured (or its folder is missing) their runs succeed doing nothing, and the log says so.
"""

from .registry import get_source
from .schedules import describe, sync_import_schedules


def load_import_schedules(log) -> None:
    for schedule in sync_import_schedules():
        source_name = schedule.name.removeprefix("import:")
        note = ""
        try:
            source = get_source(source_name)
        except Exception:  # a source removed since its schedule was made
            source = None
        if source is not None and source.kind == "content" and hasattr(source, "idle_reason"):
            reason = source.idle_reason()
            note = f" (idle: {reason})" if reason else ""
        log(f"schedule {schedule.name}: {describe(schedule)}{note}")

"""Logging filters (wired in cms/settings/base.py LOGGING)."""

import logging

# django-q2 logs every scheduled task it creates, starts and finishes at INFO. The every-minute housekeeping
# schedules (a heartbeat per queue, scheduled publishing, the stale import-run sweep) would make idle workers print
# a dozen or more lines a minute, so their records (and the bare "Enqueued [queue] id" line that follows each task
# creation) are demoted to DEBUG. Failures are ERROR records and stay.
ROUTINE_MARKERS = (
    "heartbeat:",
    "cms.tasks.record_heartbeat",
    "wagtail:publish_scheduled",
    "cms.tasks.publish_scheduled",
    "importers:sweep_stale_runs",
    "importers.tasks.sweep_stale_runs",
    "Enqueued [",
)


class DemoteRoutineTaskLogs(logging.Filter):
    """Turn django-q2's INFO records about routine schedules into DEBUG records: dropped unless the logger shows
    DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        message = record.getMessage()
        if not any(marker in message for marker in ROUTINE_MARKERS):
            return True
        if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True

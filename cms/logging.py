"""Logging filters (wired in cms/settings/base.py LOGGING)."""

import logging

# django-q2 logs every scheduled task it creates, starts and finishes at INFO: with a heartbeat schedule per queue
# every minute that is ~12 lines a minute from idle workers. Those records (and the bare "Enqueued [queue] id" line
# that follows each task creation) are demoted to DEBUG.
ROUTINE_MARKERS = ("heartbeat:", "cms.tasks.record_heartbeat", "Enqueued [")


class DemoteRoutineTaskLogs(logging.Filter):
    """Turn django-q2's INFO records about heartbeats into DEBUG records: dropped unless the logger shows DEBUG."""

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

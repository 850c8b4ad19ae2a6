"""Idle workers stay quiet: django-q2's lines about the every-minute schedules (heartbeats, publishing, sweeps) are
DEBUG records, other task lines INFO, failures ERROR."""

import logging

import pytest

from cms.logging import DemoteRoutineTaskLogs


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def django_q_logger():
    logger = logging.getLogger("django-q")
    handler = Collect()
    level = logger.level
    logger.addHandler(handler)
    yield logger, handler.records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_settings_put_the_filter_on_django_q_logger():
    assert any(isinstance(f, DemoteRoutineTaskLogs) for f in logging.getLogger("django-q").filters)


def test_heartbeat_lines_are_dropped_at_info(django_q_logger):
    logger, records = django_q_logger
    logger.setLevel(logging.INFO)
    logger.info("Process-1 created task alpha-bravo from schedule [heartbeat:default]")
    logger.info("Process-2 processing alpha-bravo 'cms.tasks.record_heartbeat' [heartbeat:default]")
    logger.info("Processed 'cms.tasks.record_heartbeat' (alpha-bravo)")
    logger.info("Enqueued [learnhub:default] 42")
    logger.info("Process-1 created task echo from schedule [wagtail:publish_scheduled]")
    logger.info("Processed 'importers.tasks.sweep_stale_runs' (foxtrot)")
    logger.info("Process-2 processing charlie 'search.tasks.update_pages'")
    logger.error("Failed 'cms.tasks.record_heartbeat' (delta) - database is locked")
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("INFO", "Process-2 processing charlie 'search.tasks.update_pages'"),
        ("ERROR", "Failed 'cms.tasks.record_heartbeat' (delta) - database is locked"),
    ]


def test_heartbeat_lines_show_as_debug_when_asked_for(django_q_logger):
    logger, records = django_q_logger
    logger.setLevel(logging.DEBUG)
    logger.info("Process-1 created task alpha-bravo from schedule [heartbeat:content]")
    assert [(r.levelname, r.levelno) for r in records] == [("DEBUG", logging.DEBUG)]

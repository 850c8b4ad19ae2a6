"""Index tasks run on several workers at once: two writing the same documents must both succeed (PostgreSQL's
READ COMMITTED once let them interleave a delete and an insert of the same key and fail on the unique key)."""

import threading

from django.db import connection

import pytest

from catalog.factories import CourseFactory
from search.models import SearchDocument
from search.tasks import update_resources

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_indexing_the_same_resources_at_once_both_succeed():
    ids = [CourseFactory().pk for _ in range(5)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait()
            for _ in range(8):
                update_resources(changed_ids=ids)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]
    assert SearchDocument.objects.filter(key__in=[f"resource:{pk}" for pk in ids]).count() == 5

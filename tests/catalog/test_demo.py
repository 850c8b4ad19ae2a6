"""The seeded lookups and the demo catalogue."""

from collections import Counter

import pytest

from catalog.demo import DEMO_SOURCE, generate_records, load_catalog
from catalog.models import ContentFile, Department, LearningResource, Offeror, Platform, ResourceType, Topic
from catalog.schemas import validate_record

pytestmark = pytest.mark.django_db


def test_lookups_are_seeded():
    computer_science = Topic.objects.get(name="Computer Science", parent=None)
    assert computer_science.children.filter(name="Machine Learning").exists()
    assert Topic.objects.filter(parent=None).count() >= 10
    assert {"mitx", "ocw", "xpro", "mitpe", "see", "csail", "bootcamps"} <= set(
        Offeror.objects.values_list("code", flat=True)
    )
    assert {"mitxonline", "edx", "ocw", "youtube", "podcast", "canvas"} <= set(
        Platform.objects.values_list("code", flat=True)
    )
    assert Department.objects.get(code="6").name == "Electrical Engineering and Computer Science"


def test_generate_records_is_deterministic_valid_and_covers_every_type():
    records = list(generate_records(250, seed=3))

    assert records == list(generate_records(250, seed=3))
    assert records != list(generate_records(250, seed=4))
    assert len(records) == 250
    assert {record["resource_type"] for record in records} == set(ResourceType.values)
    for record in records:
        assert validate_record(record)[1] == []
    keys = Counter((record["resource_type"], record["source_id"]) for record in records)
    assert max(keys.values()) == 1
    by_id = {record["source_id"] for record in records}
    for record in records:
        for child in record.get("children", []):
            assert child["source_id"] in by_id


def test_small_sizes_still_cover_every_type():
    assert {record["resource_type"] for record in generate_records(20)} == set(ResourceType.values)


def test_load_catalog_is_idempotent():
    messages = []
    load_catalog(messages.append)
    count = LearningResource.objects.filter(source=DEMO_SOURCE).count()
    files = ContentFile.objects.count()
    first_run = len(messages)
    load_catalog(messages.append)
    second = messages[first_run:]

    assert count >= 200
    assert LearningResource.objects.filter(source=DEMO_SOURCE).count() == count
    assert files > 0 and ContentFile.objects.count() == files
    assert any("0 created, 0 updated" in message for message in second), second
    assert any("demo content files: 0 created" in message for message in second), second
    courses = LearningResource.objects.public().filter(resource_type="course")
    assert courses.filter(runs__isnull=False).exists()
    assert courses.filter(instructors__isnull=False).exists()
    assert LearningResource.objects.filter(resource_type="program", child_links__isnull=False).exists()

"""The shared catalogue factories build what they promise (other apps' tests rely on them)."""

import pytest

from catalog.factories import (
    FACTORY_FOR_TYPE,
    ContentFileFactory,
    CourseFactory,
    PodcastFactory,
    ProgramFactory,
    RunFactory,
    add_children,
)
from catalog.models import LearningResource, RelationType, ResourceType

pytestmark = pytest.mark.django_db


def test_course_with_runs_instructors_topics_departments():
    course = CourseFactory(
        runs=2, instructors=["Ana Bell", "Eric Grimson"], topics=["Python", "Machine Learning"], departments=["6"]
    )

    assert course.resource_type == ResourceType.COURSE
    assert course.is_public
    assert course.runs.count() == 2
    assert course.next_start_date == course.runs.order_by("start_date").first().start_date
    names = [link.instructor.full_name for link in course.instructor_links.select_related("instructor")]
    assert names == ["Ana Bell", "Eric Grimson"]
    assert sorted(course.topics.values_list("name", flat=True)) == ["Machine Learning", "Python"]
    assert CourseFactory(topics=3).topics.count() == 3
    assert list(course.departments.values_list("code", flat=True)) == ["6"]


def test_program_children_are_ordered_and_typed():
    courses = CourseFactory.create_batch(3)
    program = ProgramFactory(children=list(reversed(courses)))
    links = list(program.child_links.order_by("position"))
    assert [link.child for link in links] == list(reversed(courses))
    assert {link.relation_type for link in links} == {RelationType.PROGRAM_COURSES}

    podcast = PodcastFactory(children=2)
    assert {c.child.resource_type for c in podcast.child_links.all()} == {ResourceType.PODCAST_EPISODE}
    add_children(podcast, [CourseFactory()], start=5)
    assert podcast.child_links.order_by("-position").first().position == 5


def test_traits_and_every_type():
    assert not CourseFactory(unpublished=True).is_public
    assert not CourseFactory(hidden=True).is_public
    paid = CourseFactory(paid=True, certified=True)
    assert (paid.free, paid.currency, paid.certification) == (False, "USD", True)
    for resource_type, factory in FACTORY_FOR_TYPE.items():
        assert factory().resource_type == resource_type
    assert LearningResource.objects.public().count() == len(FACTORY_FOR_TYPE) + 1
    assert RunFactory().resource.resource_type == ResourceType.COURSE
    assert ContentFileFactory().resource_id

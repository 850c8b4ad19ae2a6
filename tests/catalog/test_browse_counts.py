"""The browse page's facet counts from the precomputed FacetCombination rows (catalog.browse_counts): the same
exact, public-only counts as counting the resources themselves, and never stale after a load, an edit, a hide,
a topic change or a deletion."""

import itertools

from django.http import QueryDict

import pytest

from catalog.browse_counts import _rebuild_after_commit, counts_are_current, rebuild_facet_counts
from catalog.factories import CourseFactory, OfferorFactory, PlatformFactory, TopicFactory, VideoFactory
from catalog.loader import load_resources
from catalog.models import FacetCombination, LearningResource
from catalog.views.browse import build_facets, count_facets

pytestmark = pytest.mark.django_db

BROWSE = "/catalog/"


def counts(query: str, precomputed: bool) -> dict[str, dict[str, int]]:
    facets = build_facets(QueryDict(query))
    count_facets(LearningResource.objects.public(), facets, precomputed=precomputed)
    return {facet.name: {o.value: o.count for o in facet.options} for facet in facets}


def page_counts(client, query: str = "") -> dict[str, dict[str, int]]:
    response = client.get(BROWSE + ("?" + query if query else ""))
    assert response.status_code == 200
    return {facet.name: {o.value: o.count for o in facet.options} for facet in response.context["facets"]}


@pytest.fixture
def catalogue():
    """A varied catalogue: every facet has several values, some resources have two topics or none, and a hidden
    and an unpublished resource share every value with public ones."""
    math, physics, art = (TopicFactory(name=name) for name in ("Mathematics", "Physics", "Art"))
    mitx, ocw = OfferorFactory(code="mitx", name="MITx"), OfferorFactory(code="ocw", name="OCW")
    edx = PlatformFactory(code="edx", name="edX")
    combos = itertools.product(
        (CourseFactory, VideoFactory),
        ("introductory", "advanced", ""),
        (True, False),
        (mitx, ocw, None),
        ([math], [math, physics], [physics, art], []),
    )
    for index, (factory, level, free, offeror, topics) in enumerate(combos):
        factory(
            level=level,
            free=free,
            certification=index % 3 == 0,
            delivery="online" if index % 4 else "hybrid",
            offered_by=offeror,
            platform=edx if index % 2 else None,
            topics=topics,
        )
    CourseFactory(level="advanced", free=True, offered_by=mitx, topics=[math], hidden=True)
    CourseFactory(level="advanced", free=True, offered_by=mitx, topics=[math], published=False)
    return {"math": math, "physics": physics, "mitx": mitx}


QUERIES = [
    "",
    "type=course",
    "type=course&level=introductory",
    "type=course&type=video&free=false",
    "topic=mathematics",
    "topic=mathematics&type=video&offeror=mitx",
    "topic=mathematics&topic=physics",
    "topic=physics&level=advanced&level=introductory&certification=true",
    "offeror=mitx&offeror=ocw&platform=edx&delivery=hybrid",
    "free=true&free=false&certification=false&level=advanced",
    "topic=unknown-topic",
]


@pytest.mark.parametrize("query", QUERIES)
def test_precomputed_counts_equal_counts_over_the_resources(catalogue, query):
    rebuild_facet_counts()
    assert counts_are_current()
    assert counts(query, precomputed=True) == counts(query, precomputed=False)


def test_counts_are_exact_across_facets_and_leave_hidden_and_unpublished_out(catalogue):
    rebuild_facet_counts()
    public = LearningResource.objects.public()
    got = counts("type=course&topic=mathematics", precomputed=True)
    # Each facet is counted under the other facets' selections.
    assert got["type"]["course"] == public.filter(resource_type="course", topics=catalogue["math"]).count()
    assert got["type"]["video"] == public.filter(resource_type="video", topics=catalogue["math"]).count()
    assert got["topic"]["mathematics"] == public.filter(resource_type="course", topics=catalogue["math"]).count()
    assert got["topic"]["physics"] == public.filter(resource_type="course", topics=catalogue["physics"]).count()
    assert (
        got["level"]["advanced"]
        == public.filter(resource_type="course", topics=catalogue["math"], level="advanced").count()
    )
    # The hidden and the unpublished advanced MITx maths course are not counted anywhere.
    everything = counts("", precomputed=True)
    assert sum(everything["type"].values()) == public.count() == LearningResource.objects.count() - 2
    assert everything["offeror"]["mitx"] == public.filter(offered_by=catalogue["mitx"]).count()


def test_the_page_uses_the_precomputed_rows_only_while_they_are_current(
    client, catalogue, django_assert_max_num_queries
):
    rebuild_facet_counts()
    expected = counts("type=course", precomputed=False)
    # Precomputed rows that disagree with the resources show that the page reads them while they are current...
    FacetCombination.objects.filter(topic__isnull=True, resource_type="course").update(resources=1000)
    assert page_counts(client, "type=video")["type"]["course"] >= 1000
    # ...and never once a change made them stale, even before the rebuild that the change queued has run.
    CourseFactory(level="advanced", topics=[catalogue["math"]])
    assert not counts_are_current()
    assert page_counts(client, "type=course")["type"]["course"] == expected["type"]["course"] + 1
    with django_assert_max_num_queries(12):
        client.get(BROWSE, {"type": "course", "topic": "mathematics", "sort": "popular", "page": "2"})


def test_the_rebuild_runs_when_the_change_commits_and_follows_it(catalogue, django_capture_on_commit_callbacks):
    rebuild_facet_counts()
    before = counts("", precomputed=True)
    with django_capture_on_commit_callbacks(execute=True):
        VideoFactory(level="advanced", free=False, offered_by=catalogue["mitx"], topics=[catalogue["physics"]])
    assert counts_are_current()
    after = counts("", precomputed=True)
    assert after == counts("", precomputed=False)
    assert after["type"]["video"] == before["type"]["video"] + 1
    assert after["topic"]["physics"] == before["topic"]["physics"] + 1


@pytest.mark.parametrize(
    "change",
    [
        "hide",
        "hide_by_update",
        "unpublish_by_update",
        "edit_level",
        "edit_level_by_update",
        "add_topic",
        "remove_topic",
        "delete",
        "delete_topic",
        "delete_offeror",
    ],
)
def test_edits_hides_and_deletions_make_the_counts_stale_then_rebuild_them(
    catalogue, change, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    rebuild_facet_counts()
    resource = LearningResource.objects.public().filter(offered_by=catalogue["mitx"], topics=catalogue["math"])[0]
    rows = LearningResource.objects.filter(pk=resource.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        if change == "hide":
            resource.hidden = True
            resource.save()
        elif change == "hide_by_update":
            rows.update(hidden=True)
        elif change == "unpublish_by_update":
            rows.update(published=False)
        elif change == "edit_level":
            resource.level = "intermediate"
            resource.save(update_fields=["level"])
        elif change == "edit_level_by_update":
            rows.update(level="intermediate")
        elif change == "add_topic":
            resource.topics.add(TopicFactory(name="Brand new"))
        elif change == "remove_topic":
            resource.topics.remove(catalogue["math"])
        elif change == "delete":
            resource.delete()
        elif change == "delete_topic":
            catalogue["physics"].delete()
        elif change == "delete_offeror":
            catalogue["mitx"].delete()
        assert not counts_are_current()
    rebuilds = [callback for callback in callbacks if callback is _rebuild_after_commit]
    assert rebuilds
    rebuilds[0]()
    assert counts_are_current()
    with django_assert_max_num_queries(len(rebuilds) - 1):  # the others find the counts current: one query each
        for callback in rebuilds[1:]:
            callback()
    for query in ("", "topic=mathematics", "offeror=mitx&level=intermediate"):
        assert counts(query, precomputed=True) == counts(query, precomputed=False)


def test_changes_that_move_no_count_keep_the_counts_current(catalogue):
    rebuild_facet_counts()
    resource = LearningResource.objects.public()[0]
    LearningResource.objects.filter(pk=resource.pk).update(view_count=500, title="Renamed")
    resource.view_count = 7
    resource.save(update_fields=["view_count"])
    assert counts_are_current()


def test_a_load_makes_the_counts_stale_in_its_batch_and_rebuilds_them_after(
    catalogue, django_capture_on_commit_callbacks
):
    rebuild_facet_counts()
    before = counts("", precomputed=True)
    record = {
        "resource_type": "course",
        "source_id": "new-1",
        "title": "A loaded course",
        "url": "https://learn.example.edu/new-1",
        "topics": ["Mathematics"],
        "offered_by": {"code": "mitx", "name": "MITx"},
        "level": "advanced",
    }
    with django_capture_on_commit_callbacks(execute=True):
        result = load_resources("src", [record, {**record, "source_id": "new-2", "url": "https://x.example/2"}])
    assert result.created == 2
    assert counts_are_current()
    after = counts("", precomputed=True)
    assert after == counts("", precomputed=False)
    assert after["type"]["course"] == before["type"]["course"] + 2
    assert after["offeror"]["mitx"] == before["offeror"]["mitx"] + 2
    # The next full snapshot of the source without the second one unpublishes it: counted out again.
    with django_capture_on_commit_callbacks(execute=True):
        assert load_resources("src", [record], force=True).unpublished == 1
    assert counts_are_current()
    again = counts("", precomputed=True)
    assert again == counts("", precomputed=False)
    assert again["type"]["course"] == before["type"]["course"] + 1

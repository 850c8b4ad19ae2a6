"""Sync: catalogue signals, page publishing and news items reach the index through queued tasks."""

import pytest

from catalog.factories import CourseFactory
from catalog.signals import send_resources_changed
from cms.models import StandardPage
from search.engines import get_engine
from search.service import parse_params, run_search
from search.sync import queue_resource_update


def keys():
    return get_engine().indexed_keys()


def test_changed_resources_are_indexed_and_removed(db, run_on_commit):
    course = CourseFactory(title="Signals and systems")
    other = CourseFactory(title="Thermodynamics")
    run_on_commit(send_resources_changed, changed_ids=[course.pk, other.pk])
    assert keys() == {f"resource:{course.pk}", f"resource:{other.pk}"}
    assert run_search(parse_params({"q": ["signals"]})).hits[0].title == "Signals and systems"

    course.hidden = True
    course.save()
    run_on_commit(send_resources_changed, removed_ids=[course.pk])
    assert keys() == {f"resource:{other.pk}"}


def test_a_changed_resource_that_is_no_longer_public_leaves_the_index(db, run_on_commit):
    course = CourseFactory(title="Signals and systems")
    run_on_commit(send_resources_changed, changed_ids=[course.pk])
    course.published = False
    course.save()
    run_on_commit(send_resources_changed, changed_ids=[course.pk])
    assert keys() == set()


def test_updates_replace_the_document(db, run_on_commit):
    course = CourseFactory(title="Signals and systems", description="<p>An EECS classic.</p>")
    run_on_commit(send_resources_changed, changed_ids=[course.pk])
    course.title = "Feedback control"
    course.save()
    run_on_commit(send_resources_changed, changed_ids=[course.pk])
    assert run_search(parse_params({"q": ["signals"]})).total == 0
    assert run_search(parse_params({"q": ["feedback"]})).total == 1


def test_large_batches_are_split_into_tasks(db, monkeypatch):
    calls = []
    monkeypatch.setattr("search.sync.enqueue", lambda func, *args, **kwargs: calls.append((func, args)))
    queue_resource_update(changed_ids=range(2500), removed_ids=[1, 2])
    assert [len(args[0]) for func, args in calls if args[0]] == [1000, 1000, 500]
    assert calls[-1] == ("search.tasks.update_resources", ([], [1, 2]))


def _add_page(parent, title, body="", publish=True):
    page = parent.add_child(instance=StandardPage(title=title, body=body, live=False))
    if publish:
        page.save_revision().publish()
        page.refresh_from_db()
    return page


def test_published_pages_are_indexed_drafts_and_unpublished_are_not(home_page, run_on_commit):
    published = run_on_commit(_add_page, home_page, "Accessibility statement", "<p>We aim for WCAG AA.</p>")
    run_on_commit(_add_page, home_page, "Draft announcement", "<p>Secret WCAG plans.</p>", publish=False)
    found = run_search(parse_params({"q": ["wcag"]}))
    assert [hit.title for hit in found.hits] == ["Accessibility statement"]
    assert found.hits[0].doc_type == "page"

    run_on_commit(published.unpublish)
    assert run_search(parse_params({"q": ["wcag"]})).total == 0
    assert f"page:{published.pk}" not in keys()


def test_deleted_pages_leave_the_index(home_page, run_on_commit):
    page = run_on_commit(_add_page, home_page, "Temporary notice")
    assert f"page:{page.pk}" in keys()
    run_on_commit(page.delete)
    assert f"page:{page.pk}" not in keys()


@pytest.mark.django_db
def test_feed_items_are_indexed_when_the_news_app_has_them(run_on_commit):
    from search.documents import feed_item_model

    model = feed_item_model()
    if model is None:
        pytest.skip("news.FeedItem does not exist yet")
    from django.utils import timezone

    item = run_on_commit(
        model.objects.create,
        source="test",
        guid="g1",
        title="Open Learning launches a new lab",
        summary="<p>A lab for learning science.</p>",
        link="https://news.example.org/lab",
        published_at=timezone.now(),
    )
    assert f"news:{item.pk}" in keys()
    item.hidden = True
    run_on_commit(item.save)
    assert f"news:{item.pk}" not in keys()


def test_editing_a_lookup_reindexes_its_resources(db, reindex, run_on_commit):
    from catalog.factories import OfferorFactory, TopicFactory
    from catalog.models import LearningResource

    science = TopicFactory(name="Quxology", slug="quxology")
    accounting = TopicFactory(name="Accounting", slug="quxology-accounting", parent=science)
    offeror = OfferorFactory(code="oll", name="Open Learning Library")
    course = CourseFactory(title="Ledgers", topics=[accounting], offered_by=offeror)
    other = CourseFactory(title="Unrelated")
    reindex()
    before = LearningResource.objects.get(pk=other.pk).updated_at

    accounting.name = "Zyxwvut Studies"
    run_on_commit(accounting.save)
    page = run_search(parse_params({"q": ["zyxwvut"]}))
    assert [hit.title for hit in page.hits] == ["Ledgers"]
    topic_facet = next(facet for facet in page.facets if facet.key == "topic")
    assert {option.label for option in topic_facet.options} >= {"Zyxwvut Studies", "Quxology"}

    science.name = "Natural Sciences"  # a parent's rename reaches its descendants' resources
    run_on_commit(science.save)
    page = run_search(parse_params({"q": ["ledgers"]}))
    topic_facet = next(facet for facet in page.facets if facet.key == "topic")
    assert "Natural Sciences" in {option.label for option in topic_facet.options}

    run_on_commit(offeror.delete)
    page = run_search(parse_params({"q": ["ledgers"]}))
    assert page.hits and not any(facet.key == "offeror" for facet in page.facets)
    assert LearningResource.objects.get(pk=course.pk).updated_at > before  # embedding jobs see the change
    assert LearningResource.objects.get(pk=other.pk).updated_at == before

"""Data migrations of the search index, run against rows in the states they meet."""

import importlib

from django.apps import apps

import pytest

from search.engines import IndexDocument, SearchRequest, get_engine
from search.models import SearchDocument, SearchPosting, SearchStem

pytestmark = pytest.mark.django_db


def test_postings_migration_fills_an_index_written_before_it():
    migration = importlib.import_module("search.migrations.0004_postings")
    engine = get_engine("database")
    engine.index(
        [
            IndexDocument(
                key=f"resource:{n}",
                kind="resource",
                object_id=n,
                doc_type="course",
                title=title,
                facets={"type": [("course", "Course")], "topic": [("physics", "Physics")]},
            )  # fmt: skip
            for n, title in ((1, "Quantum physics"), (2, "Physics of music"))
        ]
    )
    # What an index written before the migration holds: no postings, no document counts, no facet text.
    SearchPosting.objects.all().delete()
    SearchStem.objects.all().delete()
    SearchDocument.objects.update(facet_text="")
    assert engine.search(SearchRequest(text="physics", terms=["physics"])).total == 0

    migration.backfill(apps, None)

    results = engine.search(SearchRequest(text="physics", terms=["physics"], filters={"topic": ["physics"]}))
    assert results.total == 2
    assert results.facet_counts["type"] == {"course": (2, "Course")}
    assert SearchStem.objects.get(term="").documents == 2
    assert SearchStem.objects.get(term="physic").documents == 2

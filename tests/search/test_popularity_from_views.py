"""Imported views change what learners see: search ranking, the "popularity" sort and the catalogue's "Most popular".

The PostHog import writes view_count through catalog.loader.views, which sends `resources_changed`; the search
receiver re-indexes those resources (popularity and its boost), with no rebuild in between.
"""

import io
import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.factories import CourseFactory
from importers.runner import run_import
from search.models import SearchDocument
from search.service import parse_params, run_search


def search(q="", **filters):
    data = {"q": [q], **{key: [value] for key, value in filters.items()}}
    return run_search(parse_params(data))


def ids(page):
    return [hit.object_id for hit in page.hits]


def export_with_views(tmp_path, views: dict[int, int]):
    """A PostHog export file with `views[id]` lrd_view events of each resource."""
    rows = [(pk, n) for pk, count in views.items() for n in range(count)]
    table = pa.table(
        {
            "uuid": [f"{pk}-{n}" for pk, n in rows],
            "event": ["lrd_view"] * len(rows),
            "timestamp": pa.array([datetime(2026, 11, 30, tzinfo=UTC)] * len(rows), pa.timestamp("us", tz="UTC")),
            "properties": [json.dumps({"resource": {"id": pk}}) for pk, _ in rows],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    path = tmp_path / "export.parquet.zst"
    path.write_bytes(buffer.getvalue())
    return path


def test_imported_views_reorder_equal_matches_and_the_popularity_sorts(
    engine, reindex, run_on_commit, tmp_path, client
):
    first = CourseFactory(title="Soil science", description="<p>Soils and crops.</p>", view_count=0)
    second = CourseFactory(title="Soil science", description="<p>Soils and crops.</p>", view_count=0)
    reindex()
    before = search("soil science")
    assert ids(before)[:2] == [first.pk, second.pk]  # an exact tie: lowest id first
    assert before.hits[0].score == before.hits[1].score

    run = run_on_commit(run_import, "posthog_views", file=str(export_with_views(tmp_path, {second.pk: 40})))
    assert run.status == "succeeded", run.message
    second.refresh_from_db()
    assert second.view_count == 40
    # The signal re-indexed the changed resource: its popularity and boost, no rebuild.
    document = SearchDocument.objects.get(object_id=second.pk, kind="resource")
    assert document.popularity == 40

    after = search("soil science")
    assert ids(after)[:2] == [second.pk, first.pk]
    # The boost is small and saturating (1 + 0.05·ln(1 + views)): ×1.186 at 40 views.
    assert after.hits[0].score / after.hits[1].score > 1.15
    assert ids(search("soil science", sort="popularity"))[:2] == [second.pk, first.pk]

    response = client.get("/catalog/", {"sort": "popular"})
    titles_in_order = [r.pk for r in response.context["page_obj"].object_list]
    assert titles_in_order[:2] == [second.pk, first.pk]

    # Views leave the window: the next export without them puts the tie back.
    run_on_commit(run_import, "posthog_views", file=str(export_with_views(tmp_path, {first.pk: 1})), force=True)
    assert ids(search("soil science"))[:2] == [first.pk, second.pk]

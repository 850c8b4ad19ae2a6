"""PostHog views: Parquet exports → view counts per resource → search popularity."""

import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from catalog.factories import CourseFactory
from catalog.loader.views import load_view_counts, load_view_records
from catalog.models import LearningResource
from catalog.schemas import RejectedRecord
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.sources.base import Snapshot, SnapshotDocument
from importers.transports.http import HttpClient

SOURCE = "posthog_views"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def event(name, properties, *, at=NOW, uuid="e"):
    return {"uuid": uuid, "event": name, "timestamp": at, "properties": properties}


def parquet_bytes(events, *, compression="zstd", drop=()) -> bytes:
    """A PostHog-shaped export: the columns PostHog writes, properties as JSON text."""
    columns = {
        "uuid": pa.array([e["uuid"] for e in events], pa.large_string()),
        "event": pa.array([e["event"] for e in events], pa.large_string()),
        "timestamp": pa.array([e["timestamp"] for e in events], pa.timestamp("us", tz="UTC")),
        "properties": pa.array(
            [p if isinstance(p, str) or p is None else json.dumps(p) for p in (e["properties"] for e in events)],
            pa.large_string(),
        ),
        "distinct_id": pa.array(["1"] * len(events), pa.large_string()),
    }
    table = pa.table({name: column for name, column in columns.items() if name not in drop})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression=compression)
    return buffer.getvalue()


def snapshot(*contents: bytes) -> Snapshot:
    return Snapshot(SOURCE, [SnapshotDocument(f"{i}.parquet.zst", c) for i, c in enumerate(contents)])


def transform(*contents: bytes, **config):
    source = get_source(SOURCE, config or None)
    return list(source.transform(snapshot(*contents))), source


def write(tmp_path, events, name="2026-11-30.parquet.zst", **options):
    path = tmp_path / name
    path.write_bytes(parquet_bytes(events, **options))
    return path


# --- the real export ------------------------------------------------------------------------------------------


def test_real_export_counts_its_lrd_open_events(realdata):
    path = realdata / "posthog" / "posthog_test_data.parquet.zst"
    records, source = transform(path.read_bytes())
    # Four lrd_open events of MIT Learn resource 3235 on 2025-08-28.
    assert records == [{"resource_id": 3235, "views": 4}]
    assert source.warnings == [
        "4 views counted in the 30 days to 2025-08-28 15:20 UTC; 0 older views and 0 other events ignored"
    ]


@pytest.mark.django_db
def test_real_export_imports_through_the_runner(realdata):
    viewed = CourseFactory(id=3235, view_count=0)
    other = CourseFactory(view_count=0)
    run = run_import(SOURCE, file=str(realdata / "posthog" / "posthog_test_data.parquet.zst"), trigger="cli")
    assert run.status == "succeeded", run.message
    viewed.refresh_from_db(), other.refresh_from_db()
    assert (viewed.view_count, other.view_count) == (4, 0)
    assert run.updated == 1 and run.failed == 0
    assert "4 view(s) matched 1 resource(s); 0 view(s) of 0 page(s) or id(s) matched no resource" in run.warnings


# --- matching, window, bad rows --------------------------------------------------------------------------------


@pytest.fixture
def resources(db):
    return {
        "by_id": CourseFactory(title="Viewed by id", view_count=0),
        "by_page": CourseFactory(title="Viewed on our page", slug="soil-science", view_count=0),
        "by_url": CourseFactory(title="Viewed at its home", url="https://www.example.edu/courses/ocean/", view_count=0),
        "stale": CourseFactory(title="Views left the window", view_count=7),
    }


def fixture_events(resources):
    by_id = resources["by_id"].pk
    old = NOW - timedelta(days=45)
    return [
        event("lrd_view", {"resource": {"id": by_id, "title": "x"}}, uuid="a1"),
        event("lrd_view", {"learning_resource_id": str(by_id)}, uuid="a2"),
        event("lrd_open", {"resourceId": by_id}, uuid="a3", at=NOW - timedelta(days=3)),
        event("lrd_view", {"resource": {"id": by_id}}, uuid="old", at=old),  # outside the 30-day window
        event("$pageview", {"$current_url": "https://learn.example.org/catalog/soil-science/?ref=x"}, uuid="p1"),
        event("$pageview", {"$pathname": "/catalog/soil-science/"}, uuid="p2"),
        event("lrd_view", {"resource": {"url": "http://example.edu/courses/ocean"}}, uuid="u1"),
        event("lrd_view", {"url": "https://elsewhere.example.com/gone"}, uuid="nomatch"),
        event("$pageview", {"$current_url": "https://learn.example.org/about/"}, uuid="about"),
        event("$pageview", {"$pathname": "/catalog/topics/"}, uuid="listing"),
        event("$ai_generation", {"model": "x"}, uuid="other"),
        event("lrd_view", {"$browser": "Chrome"}, uuid="no-target"),
        event("lrd_view", "{not json", uuid="bad-json"),
    ]


def test_transform_counts_per_key_within_the_window(resources):
    records, source = transform(parquet_bytes(fixture_events(resources)))
    views = {(k, v): r["views"] for r in records if isinstance(r, dict) for k, v in r.items() if k != "views"}
    assert views == {
        ("resource_id", resources["by_id"].pk): 3,
        ("slug", "soil-science"): 2,
        ("url", "http://example.edu/courses/ocean"): 1,
        ("url", "https://elsewhere.example.com/gone"): 1,
    }
    rejected = {r.errors[0].source_id: r.errors[0] for r in records if isinstance(r, RejectedRecord)}
    assert set(rejected) == {"no-target", "bad-json"}
    assert "no resource id and no URL" in rejected["no-target"].message
    assert rejected["bad-json"].field == "properties" and "not a JSON object" in rejected["bad-json"].message
    assert source.warnings == [
        "7 views counted in the 30 days to 2026-11-30 12:00 UTC; 1 older views and 3 other events ignored"
    ]


def test_import_writes_counts_resets_stale_ones_and_reports_bad_rows(resources, tmp_path):
    path = write(tmp_path, fixture_events(resources))
    run = run_import(SOURCE, file=str(path), trigger="cli")
    assert run.status == "succeeded", run.message
    counts = dict(LearningResource.objects.values_list("title", "view_count"))
    assert counts == {
        "Viewed by id": 3,
        "Viewed on our page": 2,
        "Viewed at its home": 1,
        "Views left the window": 0,  # no views in the window any more
    }
    assert run.updated == 4 and run.failed == 2
    assert {e["source_id"] for e in run.errors} == {"no-target", "bad-json"}
    assert "6 view(s) matched 3 resource(s); 1 view(s) of 1 page(s) or id(s) matched no resource" in run.warnings
    assert "unmatched, most viewed first: url https://elsewhere.example.com/gone (1)" in run.warnings

    again = run_import(SOURCE, file=str(path), trigger="cli", force=True)
    assert again.status == "succeeded" and again.updated == 0 and again.unchanged == 3


def test_dry_run_writes_nothing(resources, tmp_path):
    run = run_import(SOURCE, file=str(write(tmp_path, fixture_events(resources))), dry_run=True, trigger="cli")
    assert run.status == "succeeded", run.message
    assert LearningResource.objects.filter(view_count__gt=0).get() == resources["stale"]
    assert run.diff["would_update_count"] == 4


def test_resources_left_out_of_a_snapshot_lose_their_views_without_review(db, tmp_path):
    popular = CourseFactory.create_batch(4, view_count=100)
    viewed = CourseFactory(view_count=0)
    run = run_import(SOURCE, file=str(write(tmp_path, [event("lrd_view", {"resource": {"id": viewed.pk}})])))
    assert run.status == "succeeded", run.message
    assert [r.view_count for r in LearningResource.objects.filter(pk__in=[p.pk for p in popular])] == [0] * 4
    viewed.refresh_from_db()
    assert viewed.view_count == 1


def test_snapshot_without_views_changes_nothing(db, tmp_path):
    kept = CourseFactory(view_count=12)
    run = run_import(SOURCE, file=str(write(tmp_path, [event("$autocapture", {})])), trigger="cli")
    assert run.status == "succeeded"
    kept.refresh_from_db()
    assert kept.view_count == 12
    assert any("no $pageview, lrd_open, lrd_view events" in w for w in run.warnings)


# --- bad files ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_that_is_not_parquet_fails_the_run_naming_it(tmp_path):
    path = tmp_path / "broken.parquet.zst"
    path.write_bytes(b"PAR1 this is not really parquet")
    kept = CourseFactory(view_count=3)
    run = run_import(SOURCE, file=str(path), trigger="cli")
    assert run.status == "failed"
    assert "broken.parquet.zst" in run.message and "not a readable Parquet file" in run.message
    kept.refresh_from_db()
    assert kept.view_count == 3


def test_a_truncated_file_is_a_transform_error():
    content = parquet_bytes([event("lrd_view", {"resource": {"id": 1}})])
    with pytest.raises(TransformError) as error:
        transform(content[: len(content) // 2])
    assert "0.parquet.zst" in str(error.value)


def test_a_parquet_file_of_something_else_names_the_missing_columns():
    with pytest.raises(TransformError) as error:
        transform(parquet_bytes([event("lrd_view", {})], drop=("properties",)))
    assert "not a PostHog event export: no column 'properties'" in str(error.value)


def test_whole_file_zstd_and_uncompressed_parquet_are_read_too():
    table = parquet_bytes([event("lrd_view", {"resource": {"id": 5}})], compression="none")
    framed = pa.BufferOutputStream()
    with pa.CompressedOutputStream(framed, "zstd") as stream:
        stream.write(table)
    for content in (table, framed.getvalue().to_pybytes()):
        records, _ = transform(content)
        assert records == [{"resource_id": 5, "views": 1}]


# --- the loader --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_view_counts_updates_in_batches_not_row_by_row(django_assert_max_num_queries):
    resources = CourseFactory.create_batch(30, view_count=0)
    counts = {resource.pk: index + 1 for index, resource in enumerate(resources)}
    # 1 read of the current counts, 1 for stale rows, then one UPDATE (with its transaction) for the batch.
    with django_assert_max_num_queries(6):
        result = load_view_counts(counts)
    assert result.updated == 30 and sorted(result.changed_ids) == sorted(counts)
    assert dict(LearningResource.objects.values_list("pk", "view_count")) == counts


@pytest.mark.django_db
def test_load_view_records_reports_records_without_views():
    result = load_view_records(SOURCE, [{"resource_id": 1}, {"slug": "x", "views": "many"}])
    assert result.failed == 2 and {e.field for e in result.errors} == {"views"}


# --- extract from S3 ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_extract_reads_the_export_files_of_the_window(settings, moto_endpoint):
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "key", "secret"
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.POSTHOG_EVENT_S3_BUCKET, settings.POSTHOG_EVENT_S3_PREFIX = "analytics", "posthog/events/"
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="key", aws_secret_access_key="x"
    )
    client.create_bucket(Bucket="analytics")
    client.put_object(Bucket="analytics", Key="posthog/events/2026-11-30/a.parquet.zst", Body=b"PAR1...PAR1")
    client.put_object(Bucket="analytics", Key="posthog/events/2026-11-30/manifest.json", Body=b"{}")
    with HttpClient() as http:
        documents = list(get_source(SOURCE).extract(http))
    assert [d.name for d in documents] == ["2026-11-30/a.parquet.zst"]
    assert documents[0].metadata["url"] == "s3://analytics/posthog/events/2026-11-30/a.parquet.zst"


def test_extract_unconfigured_says_what_to_set(settings):
    settings.POSTHOG_EVENT_S3_BUCKET = ""
    with HttpClient() as http, pytest.raises(ImportFetchError) as error:
        list(get_source(SOURCE).extract(http))
    assert "POSTHOG_EVENT_S3_BUCKET" in str(error.value)

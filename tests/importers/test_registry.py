"""The source registry and the Source base class helpers."""

import pytest

from importers import registry
from importers.errors import SourceNotFound, TransformError
from importers.sources.base import Snapshot, SnapshotDocument, Source

from .fakes import FAKE, FakeCourses


def test_register_get_and_list(fake_source):
    assert registry.get_source_class(FAKE) is FakeCourses
    source = registry.get_source(FAKE, {"explode_after": 3})
    assert isinstance(source, FakeCourses) and source.config["explode_after"] == 3
    assert source.config["courses"] == []  # defaults kept
    assert FakeCourses in registry.all_sources()
    names = [cls.name for cls in registry.all_sources()]
    assert names == sorted(names)


def test_unknown_source_names_the_known_ones(fake_source):
    with pytest.raises(SourceNotFound, match=f"unknown import source 'zzz'.*{FAKE}"):
        registry.get_source("zzz")


def test_register_refuses_bad_classes():
    class NoName(Source):
        kind = "catalogue"

    class BadKind(Source):
        name = "bad"
        kind = "podcasts"

    with pytest.raises(TypeError, match="needs a string `name`"):
        registry.register(NoName)
    with pytest.raises(TypeError, match="kind must be one of"):
        registry.register(BadKind)


def test_every_registered_source_is_well_formed():
    for cls in registry.all_sources():
        assert cls.title and cls.kind in registry.KINDS
        assert set(cls.schedule()) & {"cron", "minutes"}, cls.name
        assert cls.loader.count(".") >= 1
        assert isinstance(cls.default_config(), dict)


def test_document_helpers_report_what_and_where():
    with pytest.raises(TransformError, match=r"invalid JSON: .* in page-2.json at line 2 column"):
        SnapshotDocument("page-2.json", b'{"a": 1,\n "b": }').json()
    with pytest.raises(TransformError, match="HTML page"):
        SnapshotDocument("x.json", b"<!DOCTYPE html><html>502</html>").json()
    with pytest.raises(TransformError, match="empty"):
        SnapshotDocument("x.json", b"  ").json()
    with pytest.raises(TransformError, match=r"not valid utf-8 \(byte 0xff at offset 0\) in x.csv"):
        list(SnapshotDocument("x.csv", b"\xff\xfe", content_type="text/csv").csv_rows())
    rows = list(SnapshotDocument("x.csv", "\ufefftitle,price\nA,1\n".encode()).csv_rows())
    assert rows == [{"title": "A", "price": "1"}]


def test_snapshot_matching_and_bytes_documents(fake_source):
    snapshot = Snapshot("s", [SnapshotDocument("page-1.json", b"1"), SnapshotDocument("page-2.json", b"22")])
    assert [d.name for d in snapshot.matching("page-", ".json")] == ["page-1.json", "page-2.json"]
    assert snapshot.size == 3 and snapshot.has("page-2.json") and not snapshot.has("x")
    [document] = FakeCourses().documents_from_bytes(b"{}")
    assert document.name == "courses.json" and document.content_type == "application/json"

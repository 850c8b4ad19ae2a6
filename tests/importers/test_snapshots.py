"""SnapshotStore: checksums, dedup, load/verify, retention; on the configured storage."""

import pytest

from importers.errors import SnapshotError
from importers.models import StoredSnapshot
from importers.snapshots import SnapshotStore, snapshot_checksum
from importers.sources.base import SnapshotDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(tmp_path):
    from django.core.files.storage import FileSystemStorage

    return SnapshotStore(storage=FileSystemStorage(location=tmp_path / "snapshots"))


def docs(*pairs):
    return [SnapshotDocument(name, content, metadata={"fetched_at": "now"}) for name, content in pairs]


def test_store_and_load_round_trip(store):
    stored, created = store.store("src", docs(("a.json", b"[1]"), ("dir/b.json", b"[2]")))
    assert created and stored.document_count == 2 and stored.size == 6
    assert stored.sha256 == snapshot_checksum(docs(("dir/b.json", b"[2]"), ("a.json", b"[1]")))
    snapshot = store.load(stored)
    assert [(d.name, d.content) for d in snapshot.documents] == [("a.json", b"[1]"), ("dir/b.json", b"[2]")]
    assert snapshot.sha256 == stored.sha256 and snapshot.document("a.json").json() == [1]
    with pytest.raises(KeyError, match=r"no document 'c.json' \(documents: a.json, dir/b.json\)"):
        snapshot.document("c.json")


def test_same_content_is_stored_once_with_fresh_metadata(store):
    first, _ = store.store("src", docs(("a.json", b"[1]")))
    again, created = store.store(
        "src", [SnapshotDocument("a.json", b"[1]", metadata={"etag": '"v2"', "url": "https://x/a.json"})]
    )
    assert not created and again.pk == first.pk
    assert again.documents[0]["metadata"]["etag"] == '"v2"'
    assert StoredSnapshot.objects.count() == 1
    # Only one set of files remains in storage, and no empty folder.
    assert store.storage.listdir("src")[0] == [first.path.split("/")[1]]


def test_names_checksum_and_errors(store):
    one, _ = store.store("src", docs(("a.json", b"x")))
    two, _ = store.store("src", docs(("b.json", b"x")))
    assert one.sha256 != two.sha256  # a renamed document is a change
    with pytest.raises(SnapshotError, match="two documents are named 'a.json'"):
        store.store("src", docs(("a.json", b"1"), ("a.json", b"2")))
    with pytest.raises(SnapshotError, match="expected SnapshotDocument"):
        store.store("src", [{"name": "x"}])


def test_corrupt_or_missing_file_is_reported(store):
    stored, _ = store.store("src", docs(("a.json", b"[1]")))
    path = stored.documents[0]["file"]
    store.storage.delete(path)
    store.storage.save(path, __import__("io").BytesIO(b"[2]"))
    with pytest.raises(SnapshotError, match="does not match its checksum"):
        store.load(stored)
    store.storage.delete(path)
    with pytest.raises(SnapshotError, match="missing from storage"):
        store.load(stored)


def test_failed_extract_leaves_no_files(store):

    def broken():
        yield SnapshotDocument("a.json", b"[1]")
        raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        store.store("src", broken())
    assert not StoredSnapshot.objects.exists()
    files = [p for p in __import__("pathlib").Path(store.storage.location, "src").rglob("*") if p.is_file()]
    assert files == []


def test_prune_keeps_the_newest(store):
    store.retention = 2
    for n in range(4):
        store.store("src", docs(("a.json", str(n).encode())))
    assert store.prune("src") == 2
    kept = list(StoredSnapshot.objects.filter(source="src").values_list("documents", flat=True))
    assert sorted(d[0]["size"] for d in kept) == [1, 1]
    assert StoredSnapshot.objects.filter(source="src").count() == 2


def test_snapshot_storage_is_s3_when_a_bucket_is_set(monkeypatch):
    """base.py builds the snapshot storage from AWS_STORAGE_BUCKET_NAME (checked in a fresh interpreter)."""
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='cms.settings.base';"
        "from django.conf import settings; print(settings.STORAGES['snapshots'])"
    )
    env = {"AWS_STORAGE_BUCKET_NAME": "bucket", "PATH": "/usr/bin:/bin", "SECRET_KEY": "x"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert "S3Storage" in out.stdout and "'location': 'snapshots'" in out.stdout, out.stderr

import pytest

from importers.sources.base import Snapshot, SnapshotDocument


@pytest.fixture
def allow_local_http(settings):
    settings.IMPORTER_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.IMPORTER_HTTP_RETRIES = 0
    settings.IMPORTER_HTTP_BACKOFF = 0
    return settings


@pytest.fixture
def snapshot_of():
    """snapshot_of(source, {name: bytes | Path}) → a Snapshot as the runner would hand it to transform()."""

    def build(source: str, documents: dict, url: str = "https://feeds.example.org/feed.xml") -> Snapshot:
        docs = []
        for name, content in documents.items():
            data = content if isinstance(content, bytes) else content.read_bytes()
            docs.append(
                SnapshotDocument(
                    name=name, content=data, metadata={"url": url, "fetched_at": "2026-11-01T08:00:00+00:00"}
                )
            )
        return Snapshot(source=source, documents=docs)

    return build

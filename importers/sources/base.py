"""The source interface: a source knows its format only.

`extract(http)` fetches bytes and yields `SnapshotDocument`s; the runner stores them as one snapshot;
`transform(snapshot)` turns the stored snapshot into records for the loader (`catalog.loader.load_resources`
or `news.loader.load_feed_items`). A source never touches the ORM.
"""

from __future__ import annotations

import csv
import json
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import TransformError

if TYPE_CHECKING:
    from ..transports.http import HttpClient


@dataclass
class SnapshotDocument:
    """One fetched file or page: what `extract()` yields."""

    name: str  # e.g. "courses.json", "page-0003.json", "feed.xml"
    content: bytes
    content_type: str = "application/json"
    metadata: dict = field(default_factory=dict)  # url, etag, last_modified, fetched_at, ...

    @property
    def size(self) -> int:
        return len(self.content)

    def text(self, encoding: str = "utf-8") -> str:
        """The content decoded; a clear TransformError when the bytes are not valid `encoding`, or when the
        document is larger than IMPORTER_MAX_DOCUMENT_BYTES (files and uploads are not fetched through the HTTP
        client, which enforces the same limit)."""
        from django.conf import settings

        limit = getattr(settings, "IMPORTER_MAX_DOCUMENT_BYTES", None)
        if limit and self.size > limit:
            raise TransformError(
                f"document is {self.size:,} bytes, over the limit of {limit:,} (IMPORTER_MAX_DOCUMENT_BYTES)",
                document=self.name,
            )
        try:
            return self.content.decode(encoding)
        except UnicodeDecodeError as exc:
            raise TransformError(
                f"content is not valid {encoding} (byte 0x{self.content[exc.start]:02x} at offset {exc.start})",
                document=self.name,
                location=f"byte {exc.start}",
            ) from None

    def json(self) -> Any:
        """The content parsed as JSON; TransformError names the document, line and column when it is not."""
        text = self.text().lstrip("\ufeff")
        if not text.strip():
            raise TransformError("document is empty, expected JSON", document=self.name)
        if looks_like_html(text):
            raise TransformError("document is an HTML page, expected JSON (an error page?)", document=self.name)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise TransformError(
                f"invalid JSON: {exc.msg}", document=self.name, location=f"line {exc.lineno} column {exc.colno}"
            ) from None

    def csv_rows(self, **reader_options) -> Iterator[dict[str, str] | OversizedRow]:
        """Rows of a CSV document as dicts keyed by the header row (UTF-8, BOM tolerated). A row with a cell over
        the largest field limit (IMPORT_MAX_BODY_CHARS) comes as an `OversizedRow`, so the caller reports it as
        that record's error and the other rows load (parsing a 20 MB cell would cost ~200 MB)."""
        text = self.text().lstrip("\ufeff")
        if not text.strip():
            raise TransformError("document is empty, expected CSV with a header row", document=self.name)
        limit = max_cell_chars()
        previous = csv.field_size_limit(limit)
        try:
            reader = csv.DictReader(_lines(text), **reader_options)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if "field larger than field limit" not in str(exc):
                        raise TransformError(
                            f"invalid CSV: {exc}", document=self.name, location=f"line {reader.line_num}"
                        ) from None
                    yield OversizedRow(f"a cell is longer than {limit:,} characters (IMPORT_MAX_BODY_CHARS)")
                    continue
                yield row
        finally:
            csv.field_size_limit(previous)


@dataclass(frozen=True)
class OversizedRow:
    """A CSV row that was not read: one of its cells is over the limit. `problem` says so."""

    problem: str


def max_cell_chars() -> int:
    """The longest CSV cell read: the largest text field limit (a longer cell cannot be a valid value)."""
    from django.conf import settings

    return getattr(settings, "IMPORT_MAX_BODY_CHARS", 1_000_000) + 1


def _lines(text: str) -> Iterator[str]:
    """`text` split after each newline without copying it whole (io.StringIO keeps 4 bytes a character); csv
    joins the lines of a quoted cell itself."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start : end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


def looks_like_html(text: str) -> bool:
    head = text[:512].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body"))


@dataclass
class Snapshot:
    """A stored snapshot: what `transform()` receives."""

    source: str
    documents: list[SnapshotDocument]
    sha256: str = ""

    def document(self, name: str) -> SnapshotDocument:
        """The document called `name`; KeyError naming it (and the ones present) when it is missing."""
        for document in self.documents:
            if document.name == name:
                return document
        present = ", ".join(d.name for d in self.documents) or "none"
        raise KeyError(f"snapshot of {self.source!r} has no document {name!r} (documents: {present})")

    def has(self, name: str) -> bool:
        return any(document.name == name for document in self.documents)

    def matching(self, prefix: str = "", suffix: str = "") -> list[SnapshotDocument]:
        """Documents whose name starts with `prefix` and ends with `suffix`, in stored order."""
        return [d for d in self.documents if d.name.startswith(prefix) and d.name.endswith(suffix)]

    @property
    def size(self) -> int:
        return sum(d.size for d in self.documents)


class Source:
    """Base class of every source. Subclass, set the class attributes, implement extract and transform, and
    decorate with `importers.registry.register`."""

    name: ClassVar[str]  # registry key, e.g. "mitxonline"
    title: ClassVar[str]  # human name
    kind: ClassVar[str]  # "catalogue" | "news" | "media" | "content"
    description: ClassVar[str] = ""
    default_schedule: ClassVar[dict] = {"cron": "0 4 * * *"}  # or {"minutes": 60}
    full_snapshot: ClassVar[bool] = True  # False: rows missing from a snapshot are not unpublished
    loader: ClassVar[str] = "catalog.loader.load_resources"  # news sources: "news.loader.load_feed_items"

    def __init__(self, config: dict | None = None):
        self.config = {**self.default_config(), **(config or {})}
        self.warnings: list[str] = []

    @classmethod
    def default_config(cls) -> dict:
        """URLs, credentials and options read from django.conf.settings (never os.environ)."""
        return {}

    def not_configured(self) -> str:
        """Why `extract()` cannot fetch anything yet ("" when it can): a bucket, endpoint or key not set. A scheduled
        run of such a source is skipped with this reason instead of failing (and alerting) every time; a run with
        a given snapshot (file, upload, webhook body) still works."""
        return ""

    def warn(self, message: str) -> None:
        """Record a non-fatal problem (a skipped record); the runner stores warnings on the ImportRun."""
        self.warnings.append(str(message))

    def extract(self, http: HttpClient) -> Iterator[SnapshotDocument]:
        """Fetch the source and yield its documents (bytes and metadata)."""
        raise NotImplementedError(f"{type(self).__name__}.extract")

    def transform(self, snapshot: Snapshot) -> Iterator[Any]:
        """Yield records (catalog.schemas.ResourceRecord or dicts in its shape) from a stored snapshot.

        Raise TransformError for a document that cannot be read at all; leave per-record problems to the
        loader's validation or skip the record with `self.warn(...)`."""
        raise NotImplementedError(f"{type(self).__name__}.transform")

    # --- snapshots given by hand (CLI --file / --url, webhook body) -----------------------------------

    def documents_from_path(self, path: str | Path) -> Iterator[SnapshotDocument]:
        """Documents for `manage.py import SOURCE --file PATH`: a file becomes one document named by its file
        name; a directory becomes one document per file, named by its path relative to the directory.
        Override when a source expects other document names."""
        from ..transports.local import read_documents

        yield from read_documents(path)

    def documents_from_bytes(
        self, content: bytes, *, name: str = "", content_type: str = "", metadata: dict | None = None
    ) -> Iterator[SnapshotDocument]:
        """Documents for a snapshot given as bytes (webhook body, --url): one document, named `name` or, by
        default, the first document name the source expects (`default_document_name`)."""
        name = name or self.default_document_name()
        content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        yield SnapshotDocument(name=name, content=content, content_type=content_type, metadata=metadata or {})

    def default_document_name(self) -> str:
        """The document name a single uploaded file gets; override in sources with a fixed name."""
        return getattr(self, "document_name", "") or f"{self.name}.json"

    @classmethod
    def schedule(cls) -> dict:
        return dict(cls.default_schedule)

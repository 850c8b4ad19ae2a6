"""Errors raised while importing; each says what went wrong and where, for the ImportRun and the operator."""


class ImporterError(Exception):
    """Base class of every importer error."""


class ImportFetchError(ImporterError):
    """Fetching a source failed: network error, timeout, HTTP error status, refused URL."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None):
        self.url = url
        self.status = status
        parts = [message]
        if status is not None and f"HTTP {status}" not in message:
            parts.append(f"HTTP {status}")
        if url and url not in message:
            parts.append(f"url={url}")
        super().__init__(" — ".join(parts))


class UnsafeURLError(ImportFetchError):
    """The SSRF guard refused a URL (private, loopback or link-local address, or a non-HTTP scheme)."""


class TransformError(ImporterError):
    """A snapshot document cannot be read at all (invalid JSON/CSV, wrong schema, undecodable bytes)."""

    def __init__(self, message: str, *, document: str = "", location: str | int | None = None):
        self.message = message
        self.document = document
        self.location = location
        where = ""
        if document:
            where = f" in {document}"
            if location not in (None, ""):
                where += f" at {location}"
        elif location not in (None, ""):
            where = f" at {location}"
        super().__init__(f"{message}{where}")


class SnapshotError(ImporterError):
    """A snapshot cannot be stored or read back (missing, corrupt, checksum mismatch)."""


class SourceNotFound(ImporterError, KeyError):
    """No source is registered under this name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ImportLocked(ImporterError):
    """Another run of the same source holds the lock."""

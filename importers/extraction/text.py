"""Text extraction with Apache Tika behind one interface.

The embedded default runs Tika in process (iscc-tika: Tika compiled to native code); with TIKA_SERVER_URL set,
the `tika` client talks to a Tika server's REST API (PUT /rmeta/text). OCR is off by default, on both: the server is
asked per request to skip it (TIKA_OCR turns it on for a server that has Tesseract). Every failure is an
`ExtractionError` whose message says why, so a content-file job records it per file and carries on.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_CHARS = 2_000_000
# Per-request switches of Tika server: no OCR of PDF pages nor of images, whatever Tesseract the server has.
NO_OCR_HEADERS = {"X-Tika-PDFOcrStrategy": "no_ocr", "X-Tika-OCRskipOcr": "true"}


class ExtractionError(Exception):
    """A document could not be turned into text; the message is the reason shown to operators."""


@dataclass
class Extraction:
    text: str
    metadata: dict = field(default_factory=dict)


class TextExtractor(Protocol):
    name: str

    def extract(self, data: bytes, filename: str = "") -> Extraction: ...


def _check_input(data: bytes, filename: str, max_bytes: int) -> None:
    if not data:
        raise ExtractionError(f"{filename or 'document'}: empty file")
    if len(data) > max_bytes:
        raise ExtractionError(
            f"{filename or 'document'}: {len(data) / 1_048_576:.0f} MB is over the {max_bytes / 1_048_576:.0f} MB "
            "extraction limit (CONTENT_FILE_MAX_BYTES)"
        )


def _check_output(text: str, metadata: dict, filename: str, *, ocr: bool = False) -> Extraction:
    text = (text or "").strip()
    content_type = str(
        metadata.get("Content-Type", [""])[0]
        if isinstance(metadata.get("Content-Type"), list)
        else metadata.get("Content-Type", "")
    )
    if not text:
        if "pdf" in content_type or filename.lower().endswith(".pdf"):
            why = "OCR found no text either" if ocr else "OCR is off"
            raise ExtractionError(f"{filename or 'document'}: no text layer (a scanned PDF? {why})")
        raise ExtractionError(f"{filename or 'document'}: no text found")
    return Extraction(text=text, metadata=metadata)


class EmbeddedTikaExtractor:
    """Tika in process via iscc-tika. One native extractor per thread (they are not shared across threads)."""

    name = "iscc-tika"

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES, max_chars: int = DEFAULT_MAX_CHARS):
        self.max_bytes = max_bytes
        self.max_chars = max_chars
        self._local = threading.local()

    def _extractor(self):
        extractor = getattr(self._local, "extractor", None)
        if extractor is None:
            import iscc_tika

            extractor = iscc_tika.Extractor()
            extractor.set_extract_string_max_length(self.max_chars)
            pdf = iscc_tika.PdfParserConfig()
            pdf.set_ocr_strategy(iscc_tika.PdfOcrStrategy.NO_OCR)
            extractor.set_pdf_config(pdf)
            self._local.extractor = extractor
        return extractor

    def extract(self, data: bytes, filename: str = "") -> Extraction:
        _check_input(data, filename, self.max_bytes)
        try:
            text, metadata = self._extractor().extract_bytes_to_string(bytearray(data))
        except Exception as exc:  # the native binding raises TypeError/RuntimeError wrapping Tika's ParseError
            raise ExtractionError(f"{filename or 'document'}: Tika could not parse it ({exc})") from exc
        return _check_output(text, dict(metadata or {}), filename)


class TikaServerExtractor:
    """A Tika server (TIKA_SERVER_URL) through the `tika` client's REST calls."""

    name = "tika-server"

    def __init__(self, url: str, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 120, ocr: bool = False):
        from tika import tika as tika_module

        # Never let the client download and start a Tika jar of its own: the server is given.
        tika_module.TikaClientOnly = True
        self.url = url.rstrip("/")
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.ocr = ocr

    def extract(self, data: bytes, filename: str = "") -> Extraction:
        from tika import parser

        _check_input(data, filename, self.max_bytes)
        try:
            parsed = parser.from_buffer(
                data,
                serverEndpoint=self.url,
                headers={} if self.ocr else dict(NO_OCR_HEADERS),
                requestOptions={"timeout": self.timeout, "verify": True},
            )
        except Exception as exc:  # requests' connection errors, timeouts
            raise ExtractionError(f"{filename or 'document'}: Tika server {self.url} unreachable ({exc})") from exc
        status = parsed.get("status")
        if status != 200:
            raise ExtractionError(f"{filename or 'document'}: Tika server answered HTTP {status}")
        return _check_output(parsed.get("content") or "", parsed.get("metadata") or {}, filename, ocr=self.ocr)


@functools.cache
def get_extractor() -> TextExtractor:
    """The configured extractor: a Tika server when TIKA_SERVER_URL is set, else Tika in process (which never
    OCRs). TIKA_OCR lets a Tika server OCR scanned PDFs and images when it has Tesseract."""
    max_bytes = settings.CONTENT_FILE_MAX_BYTES
    if settings.TIKA_SERVER_URL:
        return TikaServerExtractor(
            settings.TIKA_SERVER_URL, max_bytes=max_bytes, ocr=bool(getattr(settings, "TIKA_OCR", False))
        )
    return EmbeddedTikaExtractor(max_bytes=max_bytes)

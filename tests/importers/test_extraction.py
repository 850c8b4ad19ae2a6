"""Text extraction: Tika in process and a Tika server over HTTP, on real and home-made documents."""

import io
import zipfile

from django.conf import settings

import pytest
from PIL import Image

from importers.extraction.text import EmbeddedTikaExtractor, ExtractionError, TikaServerExtractor, get_extractor
from tests.support.tika_standin import TikaStandIn, _Handler


def make_docx(paragraphs: list[str]) -> bytes:
    """A minimal valid .docx (Office Open XML) written by hand."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def make_scanned_pdf() -> bytes:
    """A PDF whose only page is an image (a blank scan): no text layer."""
    buffer = io.BytesIO()
    Image.new("L", (100, 80), 255).save(buffer, "PDF")
    return buffer.getvalue()


class _HeaderRecordingHandler(_Handler):
    def do_PUT(self):
        self.server.headers_seen.append(dict(self.headers))
        super().do_PUT()


HTML = (
    b"<html><head><title>Week 1</title><script>var x=1;</script></head>"
    b"<body><h1>Limits</h1><p>Continuity and limits of functions.</p></body></html>"
)


@pytest.fixture(scope="module")
def tika_server():
    stand_in = TikaStandIn()
    stand_in.server.RequestHandlerClass = _HeaderRecordingHandler
    stand_in.server.headers_seen = []
    with stand_in as server:
        yield server


@pytest.fixture(params=["embedded", "server"])
def extractor(request, tika_server):
    if request.param == "embedded":
        return EmbeddedTikaExtractor()
    return TikaServerExtractor(tika_server.url)


def test_extracts_html_without_script(extractor):
    result = extractor.extract(HTML, "week1.html")
    assert "Continuity and limits of functions." in result.text
    assert "var x" not in result.text


def test_extracts_a_docx_written_here(extractor):
    result = extractor.extract(make_docx(["Syllabus for 18.01", "Grading: problem sets 30%"]), "syllabus.docx")
    assert "Syllabus for 18.01" in result.text
    assert "problem sets 30%" in result.text


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.pdf", "empty file"),
        (b"%PDF-1.4 this is not really a pdf", "broken.pdf", None),
        (b"\x00\x01\x02\x03" * 10, "blob.bin", None),
    ],
)
def test_bad_documents_raise_a_reason(extractor, data, name, reason):
    with pytest.raises(ExtractionError) as error:
        extractor.extract(data, name)
    assert name in str(error.value)
    if reason:
        assert reason in str(error.value)


def test_a_scanned_pdf_without_a_text_layer_says_so(extractor):
    with pytest.raises(ExtractionError, match=r"scan\.pdf: no text layer \(a scanned PDF\? OCR is off\)"):
        extractor.extract(make_scanned_pdf(), "scan.pdf")


def test_server_extractor_asks_the_server_not_to_ocr(tika_server):
    TikaServerExtractor(tika_server.url).extract(HTML, "week1.html")
    headers = tika_server.server.headers_seen[-1]
    assert headers["X-Tika-PDFOcrStrategy"] == "no_ocr"
    assert headers["X-Tika-OCRskipOcr"] == "true"
    # With OCR on, the server's own OCR configuration applies.
    TikaServerExtractor(tika_server.url, ocr=True).extract(HTML, "week1.html")
    headers = tika_server.server.headers_seen[-1]
    assert "X-Tika-PDFOcrStrategy" not in headers and "X-Tika-OCRskipOcr" not in headers


@pytest.mark.parametrize(("setting", "ocr"), [(None, False), (False, False), (True, True)])
def test_tika_ocr_setting_reaches_the_server_extractor(settings, setting, ocr):
    settings.TIKA_SERVER_URL = "http://tika.invalid:9998"
    if setting is None:
        del settings.TIKA_OCR
    else:
        settings.TIKA_OCR = setting
    get_extractor.cache_clear()
    try:
        extractor = get_extractor()
    finally:
        get_extractor.cache_clear()
    assert isinstance(extractor, TikaServerExtractor) and extractor.ocr is ocr


def test_size_limit_is_checked_before_parsing():
    with pytest.raises(ExtractionError, match="over the 1 MB extraction limit"):
        EmbeddedTikaExtractor(max_bytes=1024 * 1024).extract(b"x" * (2 * 1024 * 1024), "huge.txt")


def test_server_extractor_reports_an_unreachable_server():
    with pytest.raises(ExtractionError, match="unreachable"):
        TikaServerExtractor("http://127.0.0.1:1", timeout=2).extract(HTML, "week1.html")


def test_server_extractor_goes_through_the_rest_api(tika_server):
    before = len(tika_server.requests)
    TikaServerExtractor(tika_server.url).extract(HTML, "week1.html")
    assert tika_server.requests[before:] == ["/rmeta/text"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tika_testPDF.pdf", "Apache Tika"),
        ("tika_testWORD_various.docx", "footnote"),
        ("tika_testPPT_various.pptx", "Row 1 Col 1"),
        ("tika434_rental_listing.html", "Lamoka Lake"),
    ],
)
def test_real_documents(realdata, extractor, name, expected):
    result = extractor.extract((realdata / "documents" / name).read_bytes(), name)
    assert expected.lower() in result.text.lower()


@pytest.mark.skipif(not settings.TIKA_SERVER_URL, reason="TIKA_SERVER_URL is not set")
def test_real_tika_server():
    result = TikaServerExtractor(settings.TIKA_SERVER_URL).extract(HTML, "week1.html")
    assert "Continuity" in result.text

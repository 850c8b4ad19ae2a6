#!/usr/bin/env python
"""Benchmark content extraction: documents/s through Tika in process and through the REST stand-in, and the time
to ingest OLX course archives through the `mitxonline_content` source.

    .venv/bin/python bench/bench_extraction.py [--rounds 3] [--pages 300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_extraction.py

Documents: the real documents in ../shared/realdata/documents (PDF, DOCX, PPTX, HTML; skipped when absent) and
generated ones (HTML pages, plain text, a hand-made DOCX). Each extractor sees every document `--rounds` times after
one warm-up pass; the REST stand-in (tests/support/tika_standin.py) extracts with the same in-process Tika behind
HTTP, so the difference is the protocol's cost. Archives: the real OLX export (when present) and a generated one
with `--pages` HTML pages, problems and static files, imported into a scratch database (Django's test database for
DATABASE_URL) — first import, unchanged re-run (skipped by checksum) and a forced re-extraction.
"""

import argparse
import io
import os
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
REALDATA = ROOT.parent / "shared" / "realdata"

WORDS = [
    "limit",
    "derivative",
    "integral",
    "function",
    "continuity",
    "series",
    "vector",
    "matrix",
    "energy",
    "momentum",
    "force",
    "velocity",
    "probability",
    "distribution",
    "sample",
    "estimate",
    "algorithm",
    "graph",
    "network",
    "protein",
    "cell",
    "economy",
    "market",
    "policy",
]


def prose(seed: int, words: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(words))


def make_docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def documents() -> list[tuple[str, bytes]]:
    docs = []
    folder = REALDATA / "documents"
    if folder.is_dir():
        docs += [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()]
    else:
        print("(../shared/realdata/documents is absent: generated documents only)")
    for i in range(6):
        docs.append((f"page-{i}.html", f"<html><body><h1>Lesson {i}</h1><p>{prose(i, 400)}</p></body></html>".encode()))
        docs.append((f"notes-{i}.txt", prose(i + 50, 600).encode()))
    docs.append(("generated.docx", make_docx([prose(i, 60) for i in range(20)])))
    return docs


def bench_extractor(name: str, extractor, docs, rounds: int) -> None:
    for filename, data in docs:  # warm-up (JIT of the native image, connection set-up)
        extractor.extract(data, filename)
    per_kind: dict[str, list[float]] = {}
    chars = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for filename, data in docs:
            t = time.perf_counter()
            chars += len(extractor.extract(data, filename).text)
            per_kind.setdefault(Path(filename).suffix.lower(), []).append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    count = rounds * len(docs)
    size = rounds * sum(len(d) for _, d in docs)
    print(
        f"{name:<26} {count / elapsed:8.1f} documents/s  {size / elapsed / 1_048_576:6.2f} MB/s  "
        f"{chars / elapsed / 1000:8.0f} k chars/s   ({count} documents in {elapsed:.2f} s)"
    )
    kinds = ", ".join(f"{kind} {1000 * sum(v) / len(v):.1f} ms" for kind, v in sorted(per_kind.items()))
    print(f"{'':<26} mean per document: {kinds}")


def make_olx(path: Path, pages: int) -> Path:
    files = {
        "course/course.xml": '<course url_name="1T2026" org="BenchX" course="B.01x"/>',
        "course/course/1T2026.xml": '<course display_name="Bench course">'
        + "".join(f'<chapter url_name="ch{c}"/>' for c in range(max(1, pages // 30)))
        + "</course>",
    }
    per_chapter = 30
    for c in range(max(1, pages // per_chapter)):
        files[f"course/chapter/ch{c}.xml"] = f'<chapter display_name="Week {c}"><sequential url_name="s{c}"/></chapter>'
        units = "".join(
            f'<html url_name="h{c}_{i}"/>' + (f'<problem url_name="p{c}_{i}"/>' if i % 5 == 0 else "")
            for i in range(per_chapter)
        )
        files[f"course/sequential/s{c}.xml"] = (
            f'<sequential display_name="S{c}"><vertical url_name="v{c}"/></sequential>'
        )
        files[f"course/vertical/v{c}.xml"] = f'<vertical display_name="V{c}">{units}</vertical>'
        for i in range(per_chapter):
            files[f"course/html/h{c}_{i}.xml"] = f'<html filename="h{c}_{i}" display_name="Page {i}"/>'
            files[f"course/html/h{c}_{i}.html"] = f"<h2>Page {i}</h2><p>{prose(c * 100 + i, 250)}</p>"
            if i % 5 == 0:
                files[f"course/problem/p{c}_{i}.xml"] = f"<problem><p>{prose(i, 40)}?</p></problem>"
    for s in range(10):
        files[f"course/static/handout{s}.txt"] = prose(s, 800)
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def bench_archives(pages: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from django_q.conf import Conf

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    Conf.SYNC = False  # index updates are queued for a worker, as in production
    from catalog.factories import CourseFactory, RunFactory
    from catalog.models import ContentFile
    from importers.runner import run_import

    try:
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            settings.MITXONLINE_CONTENT_ARCHIVES = str(folder)
            cases = []
            generated = make_olx(folder / "course-v1:BenchX+B.01x+1T2026.tar.gz", pages)
            course = CourseFactory(source="mitxonline", source_id="course-v1:BenchX+B.01x")
            RunFactory(resource=course, run_id="course-v1:BenchX+B.01x+1T2026")
            cases.append(("generated OLX", generated))
            real = REALDATA / "olx" / "mitx_content-devops-0001_olx.tar.gz"
            if real.is_file():
                (folder / "devops.tar.gz").write_bytes(real.read_bytes())
                CourseFactory(source="mitxonline", source_id="course-v1:DevOps+0.001")
                cases.append(("real OLX (devops)", folder / "devops.tar.gz"))
            sizes = ", ".join(f"{name} {path.stat().st_size / 1024:.0f} KB" for name, path in cases)
            print(f"\nOLX archives in one run of mitxonline_content ({sizes}), {connection.vendor}:")
            for label, force in (("first import", False), ("unchanged re-run", False), ("forced re-extract", True)):
                started = time.perf_counter()
                run = run_import("mitxonline_content", force=force)
                elapsed = time.perf_counter() - started
                assert run.status == "succeeded", run.message
                files = run.created + run.updated + run.unchanged
                print(
                    f"  {label:<18} {elapsed:7.2f} s  files created {run.created}, updated {run.updated}, "
                    f"unchanged {run.unchanged}, failed {run.failed}  ({run.warnings[-1]})"
                    + (f"  → {files / elapsed:.0f} files/s" if files and not run.unchanged else "")
                )
            print(f"  content files stored: {ContentFile.objects.count()}")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=300, help="HTML pages in the generated OLX archive")
    parser.add_argument("--skip-archives", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from importers.extraction.text import EmbeddedTikaExtractor, TikaServerExtractor
    from tests.support.tika_standin import TikaStandIn

    docs = documents()
    print(f"{len(docs)} documents, {sum(len(d) for _, d in docs) / 1024:.0f} KB, {args.rounds} rounds:")
    bench_extractor("iscc-tika (in process)", EmbeddedTikaExtractor(), docs, args.rounds)
    with TikaStandIn() as standin:
        bench_extractor("tika client → REST stand-in", TikaServerExtractor(standin.url), docs, args.rounds)
    if not args.skip_archives:
        bench_archives(args.pages)


if __name__ == "__main__":
    main()

"""Content-file sources in the importers framework: OLX archives of edX / MITx Online / xPRO runs, Canvas
cartridges and OCW course sites, run through the runner (ImportRun history, per-source lock, schedules)."""

import io
import json
import os
import shutil
import tarfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from django.core.management import call_command

import boto3
import pytest
from moto.server import ThreadedMotoServer

from catalog.content_files import content_files_changed, load_content_files
from catalog.factories import CourseFactory, RunFactory
from catalog.models import ContentFile, LearningResource
from catalog.signals import resources_changed
from importers.content.loader import course_key_from_name
from importers.content.ocw import page_text, vtt_to_text
from importers.content.records import ContentFileRecord
from importers.models import ContentArchive, ImportRun
from importers.registry import all_sources
from importers.runner import run_import

from .test_content_archives import CARTRIDGE, OLX, make_tar, make_zip
from .test_extraction import make_scanned_pdf

RUN_KEY = "course-v1:LearnhubX+18.01x+2026_Fall"
OTHER = {
    "course/course.xml": '<course url_name="1T2026" org="LearnhubX" course="99.99x"/>',
    "course/course/1T2026.xml": '<course display_name="Unknown course"><chapter url_name="c"/></course>',
    "course/chapter/c.xml": '<chapter display_name="C"><html url_name="h"/></chapter>',
    "course/html/h.xml": '<html filename="h"/>',
    "course/html/h.html": "<p>Nobody has this course.</p>",
}


def set_mtime(path, seconds_ago):
    stamp = time.time() - seconds_ago
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def catalogue_course(db):
    course = CourseFactory(source="mitxonline", source_id="course-v1:LearnhubX+18.01x", title="Calculus")
    run = RunFactory(resource=course, run_id=RUN_KEY)
    return course, run


@pytest.fixture
def archives(tmp_path, settings):
    folder = tmp_path / "mitxonline"
    folder.mkdir()
    settings.MITXONLINE_CONTENT_ARCHIVES = str(folder)
    return folder


def files_of(course):
    return dict(ContentFile.objects.filter(resource=course, published=True).values_list("key", "content"))


# --- OLX archive sources ------------------------------------------------------------------------------


def test_content_sources_are_registered_on_the_content_queue(db):
    from importers.schedules import sync_import_schedules

    names = {cls.name: cls for cls in all_sources()}
    for name in ("edx_content", "mitxonline_content", "xpro_content", "canvas_content", "ocw_content"):
        assert names[name].kind == "content"
    schedules = {s.name: s for s in sync_import_schedules()}
    for name in ("edx_content", "mitxonline_content", "xpro_content", "canvas_content", "ocw_content"):
        schedule = schedules[f"import:{name}"]
        assert schedule.cluster == "content" and schedule.args == repr((name,))


def test_demo_schedules_say_which_content_sources_are_idle(db, settings, tmp_path):
    from importers.demo import load_import_schedules

    settings.EDX_CONTENT_ARCHIVES = str(tmp_path)
    settings.XPRO_CONTENT_ARCHIVES = str(tmp_path / "missing")
    lines = []
    load_import_schedules(lines.append)
    by_name = {line.split(":", 2)[1]: line for line in lines}
    assert "idle" not in by_name["edx_content"]
    assert f"idle: archive folder {tmp_path / 'missing'} does not exist" in by_name["xpro_content"]
    assert "cron 30 7 * * *" in by_name["xpro_content"]


def test_course_key_from_archive_names():
    assert course_key_from_name("20260101/course-v1:MITx+6.00x+1T2026.tar.gz") == "course-v1:MITx+6.00x+1T2026"
    assert course_key_from_name("exports/course-v1%3AMITx%2B6.00x%2B1T2026.tar.gz") == "course-v1:MITx+6.00x+1T2026"
    assert course_key_from_name("exports/my-course.tar.gz") == ""


def test_newest_archive_per_run_is_ingested_and_unmatched_ones_are_warned(catalogue_course, archives):
    course, run = catalogue_course
    old = dict(OLX, **{"course/html/intro.html": "<p>An old draft about limits.</p>"})
    (archives / "2025").mkdir()
    set_mtime(make_tar(archives / "2025" / f"{RUN_KEY}.tar.gz", old), 3600)
    make_tar(archives / f"{RUN_KEY}.tar.gz", OLX)
    make_tar(archives / "other.tar.gz", OTHER)

    result = run_import("mitxonline_content")
    assert result.status == ImportRun.Status.SUCCEEDED, result.message
    assert result.records == 3
    assert result.created == 4 and result.failed == 0
    assert "behaviour near a point" in files_of(course)["html/intro"]
    assert ContentFile.objects.filter(resource=course).first().run == run
    warnings = "\n".join(result.warnings)
    assert "no catalogue course among the mitxonline courses matches OLX course LearnhubX+99.99x" in warnings
    assert "1 older archive(s) skipped" in warnings
    statuses = dict(ContentArchive.objects.values_list("key", "status"))
    assert statuses == {
        f"{RUN_KEY}.tar.gz": "ingested",
        f"2025/{RUN_KEY}.tar.gz": "superseded",
        "other.tar.gz": "unmatched",
    }


def test_unchanged_archives_are_skipped_by_checksum_and_retried_when_their_course_arrives(
    catalogue_course, archives, monkeypatch
):
    course, _ = catalogue_course
    make_tar(archives / f"{RUN_KEY}.tar.gz", OLX)
    make_tar(archives / "other.tar.gz", OTHER)
    first = run_import("mitxonline_content")
    assert first.created == 4

    calls = []
    import importers.content.locations as locations

    monkeypatch.setattr(locations, "file_sha256", lambda path: calls.append(path) or "x")
    second = run_import("mitxonline_content")
    assert second.status == ImportRun.Status.SUCCEEDED, second.message  # a new listing: the loader runs
    assert (second.created, second.updated, second.unchanged) == (0, 0, 0)
    assert "archives: 1 unchanged, 1 unmatched" in second.warnings[-1]
    assert calls == []  # the archive's size and time are unchanged: not even hashed

    # The catalogue now has the other course: its archive is ingested by the next run.
    CourseFactory(source="mitxonline", source_id="course-v1:LearnhubX+99.99x")
    monkeypatch.undo()
    third = run_import("mitxonline_content")
    assert third.created == 1 and "1 ingested, 1 unchanged" in third.warnings[-1]


def test_a_changed_archive_updates_only_the_changed_files(
    catalogue_course, archives, django_capture_on_commit_callbacks
):
    course, _ = catalogue_course
    path = make_tar(archives / f"{RUN_KEY}.tar.gz", OLX)
    run_import("mitxonline_content")
    before = dict(ContentFile.objects.filter(resource=course).values_list("key", "updated_at"))

    changed = dict(OLX, **{"course/static/notes.txt": "Lecture notes: the squeeze theorem."})
    changed.pop("course/problem/p1.xml")
    changed["course/vertical/unit1.xml"] = OLX["course/vertical/unit1.xml"].replace('<problem url_name="p1"/>', "")
    make_tar(path, changed)
    set_mtime(path, -5)
    received = []
    content_files_changed.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test-cf")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = run_import("mitxonline_content")
    finally:
        content_files_changed.disconnect(dispatch_uid="test-cf")
    assert (result.updated, result.unchanged, result.unpublished) == (1, 2, 1)
    after = {cf.key: cf for cf in ContentFile.objects.filter(resource=course)}
    assert "squeeze theorem" in after["static/notes.txt"].content
    assert after["static/notes.txt"].updated_at > before["static/notes.txt"]
    assert after["html/intro"].updated_at == before["html/intro"]
    assert after["problem/p1"].published is False and after["problem/p1"].updated_at > before["problem/p1"]
    assert received and received[0]["resource_ids"] == [course.pk]
    assert set(received[0]["changed_ids"]) == {after["static/notes.txt"].pk}
    assert received[0]["removed_ids"] == [after["problem/p1"].pk]


def test_updated_at_moves_only_when_the_text_changes(catalogue_course, django_capture_on_commit_callbacks):
    course, _ = catalogue_course
    record = ContentFileRecord(key="a.html", title="A", content_type="page", source_path="a.html", data=b"<p>Same</p>")
    load_content_files(course, [record], extract=lambda data, name: "Same")
    stamp = ContentFile.objects.get(resource=course).updated_at
    # New bytes (a checksum change) with the same extracted text: the row is updated, updated_at is not.
    record = ContentFileRecord(key="a.html", title="A", content_type="page", source_path="a.html", data=b"<b>Same</b>")
    sent = []
    resources_changed.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid="test-rc")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = load_content_files(course, [record], extract=lambda data, name: "Same")
    finally:
        resources_changed.disconnect(dispatch_uid="test-rc")
    row = ContentFile.objects.get(resource=course)
    assert result.updated == 1 and result.changed_ids == [] and row.updated_at == stamp
    assert row.checksum == record.checksum
    assert sent == []  # nothing searchable changed
    result = load_content_files(course, [record], extract=lambda data, name: "Different", force=True)
    assert result.changed_ids == [row.pk] and ContentFile.objects.get(pk=row.pk).updated_at > stamp


def test_bad_archives_are_recorded_and_the_others_load(catalogue_course, archives):
    course, _ = catalogue_course
    make_tar(archives / f"{RUN_KEY}.tar.gz", OLX)
    (archives / "corrupt.tar.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")
    traversal = io.BytesIO()
    with tarfile.open(fileobj=traversal, mode="w:gz") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    (archives / "traversal.tar.gz").write_bytes(traversal.getvalue())
    result = run_import("mitxonline_content")
    assert result.status == ImportRun.Status.SUCCEEDED, result.message
    assert result.created == 4
    errors = {e["source_id"]: e for e in result.errors}
    assert errors["traversal.tar.gz"]["field"] == "archive" and "'..'" in errors["traversal.tar.gz"]["message"]
    assert "corrupt.tar.gz" in errors and errors["corrupt.tar.gz"]["message"]
    assert result.failed == 2
    assert not (archives.parent / "escaped.txt").exists() and not (archives / "escaped.txt").exists()
    assert ContentArchive.objects.get(key="corrupt.tar.gz").status == "failed"
    assert set(files_of(course)) == {"html/intro", "problem/p1", "video/v1", "static/notes.txt"}
    again = run_import("mitxonline_content")  # the same bytes are not unpacked again, but still reported
    assert again.failed == 0 and "2 failed before" in again.warnings[-1]
    assert any(w.startswith("corrupt.tar.gz: unchanged since it failed:") for w in again.warnings)


def test_per_file_failures_are_recorded_and_the_job_goes_on(catalogue_course, archives, settings):
    course, _ = catalogue_course
    settings.CONTENT_FILE_MAX_BYTES = 2000
    from importers.extraction.text import get_extractor

    get_extractor.cache_clear()
    try:
        olx = dict(
            OLX,
            **{
                "course/static/empty.txt": "",
                "course/static/broken.pdf": b"%PDF-1.4 this is not really a pdf",
                "course/static/big.txt": "words " * 1000,
                "course/static/scan.pdf": make_scanned_pdf(),
            },
        )
        make_tar(archives / f"{RUN_KEY}.tar.gz", olx)
        result = run_import("mitxonline_content")
    finally:
        get_extractor.cache_clear()
    assert result.status == ImportRun.Status.SUCCEEDED
    rows = {cf.key: cf for cf in ContentFile.objects.filter(resource=course)}
    assert "over the 2,000 byte extraction limit (CONTENT_FILE_MAX_BYTES)" in rows["static/big.txt"].extraction_error
    assert rows["static/broken.pdf"].extraction_error
    assert rows["static/empty.txt"].extraction_error == "static/empty.txt: empty file"
    assert rows["static/empty.txt"].content == ""
    assert rows["static/scan.pdf"].extraction_error == "static/scan.pdf: no text layer (a scanned PDF? OCR is off)"
    assert "behaviour near a point" in rows["html/intro"].content
    assert "epsilon-delta" in rows["static/notes.txt"].content
    failed = {e["field"] for e in result.errors}
    assert failed == {"static/big.txt", "static/broken.pdf", "static/empty.txt", "static/scan.pdf"}
    assert result.failed == len(result.errors) == 4
    assert ContentArchive.objects.get().status == "ingested"


@pytest.mark.parametrize(
    ("limits", "name", "data", "reason"),
    [
        (
            {"CONTENT_ARCHIVE_MAX_FILE_BYTES": 4096},
            "handbook.pdf",
            b"%PDF-1.4 " + bytes(range(256)) * 40,
            "course/static/handbook.pdf: larger than 4,096 bytes, the limit for one file of a course archive "
            "(CONTENT_ARCHIVE_MAX_FILE_BYTES): not unpacked",
        ),
        (
            {"CONTENT_ARCHIVE_MAX_RATIO": 50},
            "zeros.txt",
            b"\0" * (12 * 1024 * 1024),
            "course/static/zeros.txt: compressed more than 50:1 (CONTENT_ARCHIVE_MAX_RATIO): not unpacked, "
            "as a likely archive bomb",
        ),
    ],
)
def test_a_file_over_a_per_file_archive_limit_is_recorded_and_the_others_load(
    catalogue_course, archives, settings, limits, name, data, reason
):
    course, _ = catalogue_course
    for setting, value in limits.items():
        setattr(settings, setting, value)
    # The video is no content file of the course: skipped with a warning only.
    video = b"\x00\x01" * 3000 if "CONTENT_ARCHIVE_MAX_FILE_BYTES" in limits else b"\0" * (12 * 1024 * 1024)
    olx = dict(OLX, **{f"course/static/{name}": data, "course/static/lecture.mp4": video})
    make_tar(archives / f"{RUN_KEY}.tar.gz", olx)
    result = run_import("mitxonline_content")
    assert result.status == ImportRun.Status.SUCCEEDED, result.message
    rows = {cf.key: cf for cf in ContentFile.objects.filter(resource=course)}
    assert rows[f"static/{name}"].extraction_error == reason and rows[f"static/{name}"].content == ""
    assert "behaviour near a point" in rows["html/intro"].content
    assert "epsilon-delta" in rows["static/notes.txt"].content
    assert [e["field"] for e in result.errors] == [f"static/{name}"]
    assert result.failed == 1 and result.created == 5
    assert any(w.startswith(f"{RUN_KEY}.tar.gz: course/static/lecture.mp4: ") for w in result.warnings)
    assert ContentArchive.objects.get().status == "ingested"


def test_a_whole_archive_limit_still_fails_the_archive(catalogue_course, archives, settings):
    course, _ = catalogue_course
    settings.CONTENT_ARCHIVE_MAX_UNPACKED_BYTES = 500
    make_tar(archives / f"{RUN_KEY}.tar.gz", OLX)
    result = run_import("mitxonline_content")
    assert result.status == ImportRun.Status.SUCCEEDED, result.message
    assert [e["field"] for e in result.errors] == ["archive"]
    assert "unpacks to more than 500 bytes" in result.errors[0]["message"]
    assert ContentArchive.objects.get().status == "failed"
    assert not ContentFile.objects.filter(resource=course).exists()


def test_dry_run_writes_nothing(catalogue_course, archives):
    make_tar(archives / f"{RUN_KEY}.tar.gz", OLX)
    result = run_import("mitxonline_content", dry_run=True)
    assert result.status == ImportRun.Status.SUCCEEDED
    assert result.diff["would_create"] == [{"archive": f"{RUN_KEY}.tar.gz", "course_key": RUN_KEY}]
    assert not ContentFile.objects.exists() and not ContentArchive.objects.exists()


def test_an_unconfigured_source_is_harmless(db, settings, tmp_path):
    settings.XPRO_CONTENT_ARCHIVES = str(tmp_path / "missing")
    result = run_import("xpro_content", trigger="schedule")
    assert result.status == ImportRun.Status.SUCCEEDED
    assert "does not exist: nothing to import" in result.warnings[0]
    settings.XPRO_CONTENT_ARCHIVES = ""
    result = run_import("xpro_content", force=True)
    assert result.status == ImportRun.Status.SUCCEEDED and "XPRO_CONTENT_ARCHIVES" in result.warnings[0]


def test_import_command_with_a_folder(catalogue_course, tmp_path):
    make_tar(tmp_path / f"{RUN_KEY}.tar.gz", OLX)
    call_command("import", "mitxonline_content", "--file", str(tmp_path), stdout=io.StringIO())
    run = ImportRun.objects.get(source="mitxonline_content")
    assert run.status == "succeeded" and run.created == 4


def test_real_olx_export_through_the_edx_source(db, realdata, tmp_path, settings):
    course = CourseFactory(source="edx", source_id="DevOps+0.001")
    settings.EDX_CONTENT_ARCHIVES = str(tmp_path)
    shutil.copy(realdata / "olx" / "mitx_content-devops-0001_olx.tar.gz", tmp_path / "devops.tar.gz")
    result = run_import("edx_content")
    assert result.status == "succeeded", result.message
    assert result.created == 23 and ContentFile.objects.filter(resource=course).exclude(content="").count() >= 18


# --- Canvas cartridges --------------------------------------------------------------------------------


def test_canvas_cartridges_create_their_course(db, tmp_path, settings, realdata):
    settings.CANVAS_CONTENT_ARCHIVES = str(tmp_path)
    make_zip(tmp_path / "urban.imscc", CARTRIDGE)
    shutil.copy(realdata / "imscc" / "canvas_cc_gem_course.imscc", tmp_path)
    result = run_import("canvas_content")
    assert result.status == "succeeded", result.message
    course = LearningResource.objects.get(source="canvas", source_id="cc-demo-1")
    assert course.title == "Urban Design Studio"
    assert "Streets are for people" in files_of(course)["wiki_content/welcome.html"]
    assert LearningResource.objects.filter(source="canvas").count() == 2
    assert "2 ingested" in result.warnings[-1]
    again = run_import("canvas_content")
    assert "2 unchanged" in again.warnings[-1] and LearningResource.objects.filter(source="canvas").count() == 2


# --- S3 -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_archives_from_s3(catalogue_course, settings, moto_endpoint, tmp_path):
    course, _ = catalogue_course
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "key", "secret"
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.MITXONLINE_CONTENT_ARCHIVES = "s3://course-exports/mitxonline/"
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="key", aws_secret_access_key="x"
    )
    client.create_bucket(Bucket="course-exports")
    data = make_tar(tmp_path / "a.tar.gz", OLX).read_bytes()
    client.put_object(Bucket="course-exports", Key=f"mitxonline/20260101/{RUN_KEY}.tar.gz", Body=data)
    client.put_object(Bucket="course-exports", Key="mitxonline/readme.txt", Body=b"not an archive")
    result = run_import("mitxonline_content")
    assert result.status == "succeeded", result.message
    assert result.created == 4 and "behaviour near a point" in files_of(course)["html/intro"]
    archive = ContentArchive.objects.get()
    assert archive.key == f"20260101/{RUN_KEY}.tar.gz" and archive.checksum.startswith("etag:")
    again = run_import("mitxonline_content")
    assert "1 unchanged" in again.warnings[-1]


# --- OCW ----------------------------------------------------------------------------------------------

SITE = "8-01-physics-fall-2026"


def write_site(root):
    site = root / SITE

    def put(path, data):
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data) if isinstance(data, dict) else data)

    put("data.json", {"course_title": "Physics I", "site_uid": "uid-801", "primary_course_number": "8.01"})
    put(
        "pages/syllabus/data.json",
        {
            "content_type": "page",
            "title": "Syllabus",
            "uid": "p1",
            "content": '## Grading\nProblem sets count {{< resource uuid="x" >}} 30%.',
        },
    )
    put("pages/empty/data.json", {"content_type": "page", "title": "Empty", "uid": "p2", "content": ""})
    put(
        "resources/notes/data.json",
        {
            "content_type": "resource",
            "resourcetype": "Document",
            "title": "Notes",
            "file": f"/courses/{SITE}/notes.html",
            "file_type": "text/html",
        },
    )
    put("notes.html", "<html><body><h1>Newton</h1><p>Force equals mass times acceleration.</p></body></html>")
    put(
        "resources/remote/data.json",
        {
            "content_type": "resource",
            "resourcetype": "Document",
            "title": "Remote",
            "file": f"/courses/{SITE}/remote.html",
            "file_type": "text/html",
        },
    )
    put(
        "resources/lecture-1/data.json",
        {
            "content_type": "resource",
            "resourcetype": "Video",
            "title": "Lecture 1",
            "video_metadata": {"youtube_id": "abc"},
            "video_files": {"video_captions_file": f"courses/{SITE}/lecture1_captions_webvtt"},
        },
    )
    put("lecture1_captions_webvtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nToday: <i>momentum</i>.\n")
    put(
        "resources/photo/data.json",
        {
            "content_type": "resource",
            "resourcetype": "Image",
            "title": "Photo",
            "file": f"/courses/{SITE}/photo.jpg",
            "file_type": "image/jpeg",
        },
    )
    return root


@pytest.fixture
def file_server(tmp_path):
    folder = tmp_path / "served" / "courses" / SITE
    folder.mkdir(parents=True)
    (folder / "remote.html").write_text("<p>Served over HTTP: conservation of energy.</p>")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    )
    server.RequestHandlerClass.log_message = lambda *args: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_page_and_caption_text():
    assert page_text('<p>A {{< resource uuid="1" >}} b</p>') == "A b"
    assert vtt_to_text("WEBVTT\n\n00:00.000 --> 00:01.000\n<v Prof>Hello</v>\n\n2\n00:01.000 --> 00:02.000\nworld") == (
        "Hello world"
    )


@pytest.mark.django_db
def test_ocw_sites_become_content_files(tmp_path, settings, file_server, allow_local_http):
    settings.OCW_COURSES_DIR = str(write_site(tmp_path / "sites"))
    settings.OCW_BASE_URL = file_server
    course = CourseFactory(source="ocw", source_id=SITE)
    RunFactory(resource=course, run_id="uid-801")
    result = run_import("ocw_content")
    assert result.status == "succeeded", result.message
    rows = {cf.key: cf for cf in ContentFile.objects.filter(resource=course)}
    assert set(rows) == {"pages/p1", "resources/notes", "resources/remote", "resources/lecture-1"}
    assert rows["pages/p1"].content == "## Grading Problem sets count 30%."
    assert "mass times acceleration" in rows["resources/notes"].content
    assert "conservation of energy" in rows["resources/remote"].content  # fetched over HTTP
    assert rows["resources/lecture-1"].content == "Today: momentum." and rows["resources/lecture-1"].run.run_id
    assert rows["resources/lecture-1"].url == "https://www.youtube.com/watch?v=abc"
    assert result.created == 4 and result.failed == 0
    again = run_import("ocw_content")
    assert again.unchanged == 4 and again.created == again.updated == 0


@pytest.mark.django_db
def test_ocw_files_behind_the_private_address_guard_fail_per_file(tmp_path, settings, file_server):
    settings.OCW_COURSES_DIR = str(write_site(tmp_path / "sites"))
    settings.OCW_BASE_URL = file_server  # 127.0.0.1, not allow-listed
    course = CourseFactory(source="ocw", source_id=SITE)
    result = run_import("ocw_content")
    assert result.status == "succeeded"
    remote = ContentFile.objects.get(resource=course, key="resources/remote")
    assert "non-public address" in remote.extraction_error and remote.content == ""
    assert ContentFile.objects.get(resource=course, key="resources/notes").content
    assert [e["field"] for e in result.errors] == ["resources/remote"]


@pytest.mark.django_db
def test_ocw_site_missing_from_the_catalogue_is_warned(tmp_path, settings):
    settings.OCW_COURSES_DIR = str(write_site(tmp_path / "sites"))
    result = run_import("ocw_content")
    assert result.status == "succeeded"
    assert any("no OCW course in the catalogue" in w for w in result.warnings)
    assert not ContentFile.objects.exists()


@pytest.mark.django_db
def test_ocw_without_a_location_is_harmless(settings):
    settings.OCW_COURSES_DIR, settings.OCW_S3_BUCKET = "", ""
    result = run_import("ocw_content")
    assert result.status == "succeeded" and "OCW_COURSES_DIR" in result.warnings[0]


@pytest.mark.django_db
def test_realdata_ocw_course_files(realdata, tmp_path, settings):
    site = "16-01-unified-engineering-i-ii-iii-iv-fall-2005-spring-2006"
    folder = tmp_path / "sites" / site
    for name, target in [
        ("ocw_16-01_course_data.json", "data.json"),
        ("ocw_16-01_page_syllabus_data.json", "pages/syllabus/data.json"),
        ("ocw_16-01_resource_document_data.json", "resources/resource/data.json"),
        ("ocw_16-01_resource_textbook_data.json", "resources/textbook/data.json"),
        ("ocw_16-01_resource_video_data.json", "resources/video/data.json"),
    ]:
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(realdata / "ocw" / name, folder / target)
    # The textbook PDF is available beside the site JSON; the other files are not (and fetching is off).
    shutil.copy(realdata / "documents" / "tika_testPDF.pdf", folder / "textbook.pdf")
    settings.OCW_COURSES_DIR = str(tmp_path / "sites")
    settings.OCW_CONTENT_FETCH_FILES = False
    assert run_import("ocw", file=str(tmp_path / "sites")).status == "succeeded"
    course = LearningResource.objects.get(source="ocw", source_id=site)
    result = run_import("ocw_content")
    assert result.status == "succeeded", result.message
    rows = {cf.key: cf for cf in ContentFile.objects.filter(resource=course)}
    assert rows["pages/414408f8-e288-491a-8416-269f011da428"].content == "Course Meeting Times Lecture"
    assert "Apache Tika" in rows["resources/textbook"].content
    assert "fetching is off" in rows["resources/resource"].extraction_error
    assert rows["resources/video"].content_type == "video"
    assert "no transcript" in rows["resources/video"].extraction_error
    assert result.created == 4 and result.failed == 2


@pytest.mark.django_db
def test_ocw_sites_and_files_from_s3(tmp_path, settings, moto_endpoint):
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "key", "secret"
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.OCW_COURSES_DIR, settings.OCW_S3_BUCKET, settings.OCW_S3_PREFIX = "", "content-test-ocw-sites", "courses/"
    settings.OCW_CONTENT_FETCH_FILES = False
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="key", aws_secret_access_key="x"
    )
    client.create_bucket(Bucket="content-test-ocw-sites")
    root = write_site(tmp_path / "sites")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        client.put_object(
            Bucket="content-test-ocw-sites", Key=f"courses/{path.relative_to(root).as_posix()}", Body=path.read_bytes()
        )
    course = CourseFactory(source="ocw", source_id=SITE)
    result = run_import("ocw_content")
    assert result.status == "succeeded", result.message
    rows = {cf.key: cf for cf in ContentFile.objects.filter(resource=course)}
    assert "mass times acceleration" in rows["resources/notes"].content  # read from the bucket
    assert rows["resources/lecture-1"].content == "Today: momentum."
    assert "fetching is off" in rows["resources/remote"].extraction_error

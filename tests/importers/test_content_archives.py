"""Course archives → content files: OLX and Common Cartridge parsing, and ingestion with text extraction."""

import io
import json
import tarfile
import zipfile

from django.core.management import call_command

import pytest

from catalog.factories import CourseFactory, RunFactory
from catalog.models import ContentFile, LearningResource
from importers.content.common_cartridge import CartridgeError, parse_cartridge
from importers.content.ingest import IngestError, ingest_archive
from importers.content.olx import OlxError, parse_olx, srt_to_text
from importers.extraction.archives import ArchiveLimits, safe_extract

OLX = {
    "course/course.xml": '<course url_name="2026_Fall" org="LearnhubX" course="18.01x"/>',
    "course/course/2026_Fall.xml": (
        '<course display_name="Single Variable Calculus" language="en" self_paced="true">'
        '<chapter url_name="week1"/></course>'
    ),
    "course/chapter/week1.xml": '<chapter display_name="Week 1: Limits"><sequential url_name="lesson1"/></chapter>',
    "course/sequential/lesson1.xml": '<sequential display_name="Lesson 1"><vertical url_name="unit1"/></sequential>',
    "course/vertical/unit1.xml": (
        '<vertical display_name="Unit 1"><html url_name="intro"/><problem url_name="p1"/>'
        '<video url_name="v1" display_name="Lecture" sub="abc123" youtube_id_1_0="abc123"/></vertical>'
    ),
    "course/html/intro.xml": '<html filename="intro" display_name="Introduction"/>',
    "course/html/intro.html": "<h2>Limits</h2><p>The limit of a function describes its behaviour near a point.</p>",
    "course/problem/p1.xml": (
        '<problem display_name="Check"><p>What is the limit of 1/x as x grows?</p>'
        "<script type='loncapa/python'>secret_answer = 0</script></problem>"
    ),
    "course/static/subs_abc123.srt.sjson": json.dumps({"start": [0], "end": [1], "text": ["Welcome to limits."]}),
    "course/static/notes.txt": "Lecture notes: epsilon-delta definitions.",
    "course/static/logo.png": "not text",
    "._course": "mac junk",
}

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
          xmlns:lomimscc="http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest" identifier="cc-demo-1">
  <metadata><lomimscc:lom><lomimscc:general>
    <lomimscc:title><lomimscc:string>Urban Design Studio</lomimscc:string></lomimscc:title>
    <lomimscc:description><lomimscc:string>Designing streets for people.</lomimscc:string></lomimscc:description>
  </lomimscc:general></lomimscc:lom></metadata>
  <organizations><organization identifier="org"><item identifier="root">
    <item identifier="i1" identifierref="r1"><title>Welcome page</title></item>
    <item identifier="i2" identifierref="r2"><title>Site analysis assignment</title></item>
  </item></organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" href="wiki_content/welcome.html">
      <file href="wiki_content/welcome.html"/></resource>
    <resource identifier="r2" type="associatedcontent/imscc_xmlv1p1/learning-application-resource"
              href="a1/site-analysis.html"><file href="a1/site-analysis.html"/></resource>
    <resource identifier="r3" type="webcontent" href="../../etc/passwd"/>
  </resources>
</manifest>"""

CARTRIDGE = {
    "imsmanifest.xml": MANIFEST,
    "wiki_content/welcome.html": "<h1>Welcome</h1><p>Streets are for people, not only cars.</p>",
    "a1/site-analysis.html": "<p>Map the pedestrian flows around a public square.</p>",
    "a1/assignment_settings.xml": "<assignment/>",
}


def make_tar(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return path


def unpack(archive, tmp_path):
    folder = tmp_path / "unpacked"
    safe_extract(archive, folder)
    return folder


def test_olx_structure_in_course_order(tmp_path):
    course = parse_olx(unpack(make_tar(tmp_path / "c.tar.gz", OLX), tmp_path))
    assert (course.source_id, course.run_id) == ("LearnhubX+18.01x", "course-v1:LearnhubX+18.01x+2026_Fall")
    assert course.title == "Single Variable Calculus"
    assert course.self_paced is True
    assert [f.key for f in course.files] == ["html/intro", "problem/p1", "video/v1", "static/notes.txt"]
    intro, problem, video, notes = course.files
    assert intro.title == "Lesson 1 › Unit 1 › Introduction"
    assert b"behaviour near a point" in intro.data
    assert "What is the limit of 1/x" in problem.text and "secret_answer" not in problem.text
    assert video.text == "Welcome to limits." and video.url.endswith("abc123")
    assert notes.content_type == "file"


def test_olx_video_without_a_transcript_says_so(tmp_path):
    olx = dict(OLX)
    del olx["course/static/subs_abc123.srt.sjson"]
    course = parse_olx(unpack(make_tar(tmp_path / "c.tar.gz", olx), tmp_path))
    video = next(f for f in course.files if f.key == "video/v1")
    assert video.text == "" and video.error.startswith("no transcript in the export")


def test_olx_files_skipped_by_the_unpacker_are_recorded_with_the_reason(tmp_path):
    olx = dict(
        OLX,
        **{
            "course/html/intro.html": "<p>" + "limits " * 1000 + "</p>",
            "course/about/overview.html": "<p>" + "overview " * 1000 + "</p>",
            "course/static/handbook.pdf": b"%PDF-1.4 " + b"x" * 5000,
            "course/static/lecture.mp4": b"\x00" * 5000,
        },
    )
    folder = tmp_path / "unpacked"
    unpacked = safe_extract(make_tar(tmp_path / "c.tar.gz", olx), folder, ArchiveLimits(max_file_bytes=4096))
    course = parse_olx(folder, unpacked.skipped)
    errors = {f.key: f.error for f in course.files if f.error}
    assert set(errors) == {"html/intro", "about/overview", "static/handbook.pdf"}
    assert errors["html/intro"].startswith("course/html/intro.html: larger than 4,096 bytes")
    assert errors["static/handbook.pdf"].startswith("course/static/handbook.pdf: larger than 4,096 bytes")
    assert all(not f.data for f in course.files if f.error)
    assert [f.key for f in course.files][:3] == ["html/intro", "problem/p1", "video/v1"]


def test_olx_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(OlxError, match="no course.xml"):
        parse_olx(unpack(make_tar(tmp_path / "c.tar.gz", {"readme.txt": "hi"}), tmp_path))
    broken = dict(OLX, **{"course/chapter/week1.xml": "<chapter><unclosed>"})
    with pytest.raises(OlxError, match="week1.xml: invalid XML"):
        parse_olx(unpack(make_tar(tmp_path / "d.tar.gz", broken), tmp_path / "d"))
    entity_bomb = dict(OLX, **{"course/chapter/week1.xml": '<!DOCTYPE x [<!ENTITY a "aaaa">]><chapter>&a;</chapter>'})
    with pytest.raises(OlxError, match="invalid XML"):
        parse_olx(unpack(make_tar(tmp_path / "e.tar.gz", entity_bomb), tmp_path / "e"))


def test_srt_to_text():
    assert srt_to_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:02,000 --> 00:00:03,000\nworld\n") == (
        "Hello world"
    )


def test_cartridge_resources_with_titles_and_kinds(tmp_path):
    archive = parse_cartridge(unpack(make_zip(tmp_path / "c.imscc", CARTRIDGE), tmp_path))
    assert (archive.source_id, archive.title) == ("cc-demo-1", "Urban Design Studio")
    assert archive.description == "Designing streets for people."
    assert [(f.key, f.title, f.content_type) for f in archive.files] == [
        ("wiki_content/welcome.html", "Welcome page", "page"),
        ("a1/site-analysis.html", "Site analysis assignment", "assignment"),
    ]
    assert any("unsafe href" in w for w in archive.warnings)
    with pytest.raises(CartridgeError, match="no imsmanifest.xml"):
        parse_cartridge(tmp_path)


@pytest.mark.django_db
def test_olx_archive_ingests_into_the_matching_run(tmp_path):
    course = CourseFactory(source="mitxonline", source_id="course-v1:LearnhubX+18.01x")
    run = RunFactory(resource=course, run_id="course-v1:LearnhubX+18.01x+2026_Fall")
    result = ingest_archive(make_tar(tmp_path / "c.tar.gz", OLX))
    assert result.resource_id == course.pk
    assert result.files.created == 4 and result.files.failed == 0
    intro = ContentFile.objects.get(resource=course, key="html/intro")
    assert intro.run == run
    assert "behaviour near a point" in intro.content and "<p>" not in intro.content
    again = ingest_archive(make_tar(tmp_path / "c.tar.gz", OLX))
    assert again.files.unchanged == 4 and again.files.created == 0


@pytest.mark.django_db
def test_olx_archive_without_a_catalogue_course_is_refused(tmp_path):
    with pytest.raises(IngestError, match="no catalogue course matches OLX course LearnhubX\\+18.01x"):
        ingest_archive(make_tar(tmp_path / "c.tar.gz", OLX))
    assert not ContentFile.objects.exists()


@pytest.mark.django_db
def test_cartridge_creates_its_course_and_files(tmp_path):
    result = ingest_archive(make_zip(tmp_path / "c.imscc", CARTRIDGE), source="canvas")
    course = LearningResource.objects.get(pk=result.resource_id)
    assert (course.source, course.source_id, course.title) == ("canvas", "cc-demo-1", "Urban Design Studio")
    texts = dict(ContentFile.objects.filter(resource=course).values_list("key", "content"))
    assert "Streets are for people" in texts["wiki_content/welcome.html"]
    assert "pedestrian flows" in texts["a1/site-analysis.html"]


@pytest.mark.django_db
def test_a_cartridge_file_over_the_per_file_limit_is_recorded_and_the_others_load(tmp_path):
    cartridge = dict(CARTRIDGE, **{"a1/site-analysis.html": "<p>" + "pedestrian flows " * 500 + "</p>"})
    result = ingest_archive(
        make_zip(tmp_path / "c.imscc", cartridge), source="canvas", limits=ArchiveLimits(max_file_bytes=4096)
    )
    rows = {cf.key: cf for cf in ContentFile.objects.filter(resource_id=result.resource_id)}
    assert rows["a1/site-analysis.html"].extraction_error == (
        "a1/site-analysis.html: larger than 4,096 bytes, the limit for one file of a course archive "
        "(CONTENT_ARCHIVE_MAX_FILE_BYTES): not unpacked"
    )
    assert rows["a1/site-analysis.html"].content_type == "assignment"
    assert "Streets are for people" in rows["wiki_content/welcome.html"].content
    assert (result.files.created, result.files.failed) == (2, 1)


@pytest.mark.django_db
def test_import_content_command(tmp_path, capsys):
    call_command("import_content", str(make_zip(tmp_path / "c.imscc", CARTRIDGE)))
    out = capsys.readouterr().out
    assert "Urban Design Studio" in out and "created 2" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "min_files"),
    [("canvas_cc_gem_course.imscc", 3), ("course-1.imscc", 5), ("single-page.imscc", 1)],
)
def test_real_cartridges_import_with_text(realdata, name, min_files):
    result = ingest_archive(realdata / "imscc" / name, source="canvas")
    files = ContentFile.objects.filter(resource_id=result.resource_id)
    assert files.count() >= min_files
    assert files.exclude(content="").count() >= min_files - result.files.failed


@pytest.mark.django_db
def test_real_olx_export_imports_with_text(realdata):
    course = CourseFactory(source="mitxonline", source_id="course-v1:DevOps+0.001")
    result = ingest_archive(realdata / "olx" / "mitx_content-devops-0001_olx.tar.gz")
    assert result.resource_id == course.pk
    files = ContentFile.objects.filter(resource=course)
    assert files.count() == 23  # 19 problems, a page, a video, a static file, the About overview
    video = files.get(content_type="video")
    assert len(video.content) > 500  # the transcript
    assert files.filter(content_type="problem").exclude(content="").count() >= 15

"""Bad input stops at the door (issue 12) in the importers: ragged and oversized CSV rows, archives that yield no
course, cartridges that share a manifest identifier, import_content through the runner, and the run page's true
counts and guard verdict."""

import csv
import shutil
import zipfile

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest

from catalog.factories import CourseFactory
from catalog.models import ContentFile, LearningResource
from importers.admin_views import guard_summary
from importers.models import ContentArchive, ImportRun
from importers.runner import run_import
from importers.sources.content_archives import ARCHIVE_FILES_SOURCE

from .test_content_archives import CARTRIDGE, MANIFEST, OLX, make_tar, make_zip

pytestmark = pytest.mark.django_db


# --- CSV ---------------------------------------------------------------------------------------------------------

RAGGED = b"""id,title,url,level
c1,Good course,https://example.org/c1,Introductory
c2,Too many,https://example.org/c2,Advanced,surplus,cells
c3,Too few
c4,Also good,https://example.org/c4,Graduate
"""


def test_ragged_csv_rows_are_record_errors_and_the_rest_load():
    run = run_import("csv_catalog", content=RAGGED, document_name="catalog.csv")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert (run.created, run.failed) == (2, 2)
    errors = {error["source_id"]: error for error in run.errors}
    assert errors["c2"]["field"] == "row"
    assert errors["c2"]["message"] == "catalog.csv line 3: 6 cells where the header has 4 columns (a ragged row)"
    assert errors["c3"]["message"] == "catalog.csv line 4: 2 cells where the header has 4 columns (a ragged row)"
    assert set(LearningResource.objects.values_list("source_id", flat=True)) == {"c1", "c4"}  # no junk resources


def test_a_ragged_row_keeps_its_published_resource():
    good = b"id,title,url\nc1,One,https://example.org/1\nc2,Two,https://example.org/2\n"
    run_import("csv_catalog", content=good, document_name="catalog.csv")
    run = run_import("csv_catalog", content=good.replace(b"c2,Two,", b"c2,Two,extra,"), document_name="catalog.csv")
    assert run.failed == 1 and run.unpublished == 0
    assert LearningResource.objects.get(source_id="c2").published


def test_a_cell_over_the_largest_field_limit_is_its_row_s_error(settings):
    settings.IMPORT_MAX_BODY_CHARS = 1_000
    content = b"id,title,description\nc1,One,fine\nc2,Two," + b"x" * 5_000 + b"\nc3,Three,fine\n"
    run = run_import("csv_catalog", content=content, document_name="catalog.csv")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert (run.created, run.failed) == (2, 1)
    assert run.errors[0]["field"] == "row" and "longer than 1,001 characters" in run.errors[0]["message"]
    assert "line 3" in run.errors[0]["source_id"]


def test_a_long_description_under_the_cell_limit_is_a_field_error(settings):
    settings.IMPORT_MAX_DESCRIPTION_CHARS = 500
    content = b"id,title,description\nc1,One,fine\nc2,Two," + b"x" * 800 + b"\n"
    run = run_import("csv_catalog", content=content, document_name="catalog.csv")
    assert (run.created, run.failed) == (1, 1)
    assert (run.errors[0]["source_id"], run.errors[0]["field"]) == ("c2", "description")
    assert "IMPORT_MAX_DESCRIPTION_CHARS" in run.errors[0]["message"]


def test_a_document_over_the_size_limit_fails_the_run_without_being_read(settings):
    settings.IMPORTER_MAX_DOCUMENT_BYTES = 100
    run = run_import("csv_catalog", content=RAGGED, document_name="catalog.csv")
    assert run.status == ImportRun.Status.FAILED
    assert f"document is {len(RAGGED):,} bytes, over the limit of 100 (IMPORTER_MAX_DOCUMENT_BYTES)" in run.message
    assert not LearningResource.objects.exists()


def test_a_real_oll_csv_with_a_broken_row(realdata, tmp_path):
    with open(realdata / "oll_csv" / "oll_metadata.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[3].append("one cell too many")  # the third course (row 4, counting the header as 1)
    path = tmp_path / "oll.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    good = run_import("oll", file=str(realdata / "oll_csv" / "oll_metadata.csv"))
    assert good.status == ImportRun.Status.SUCCEEDED, good.message
    run = run_import("oll", file=str(path), force=True)
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert run.failed == 1 and run.errors[0]["field"] == "row" and "line 4" in run.errors[0]["message"]
    assert run.unpublished == 0  # the broken row's course stays


# --- archives that yield no course -----------------------------------------------------------------------------

BOMB = b"\0" * (11 * 1024 * 1024)  # past the ratio floor, compressed ~1000:1: skipped as a likely bomb


def bomb_zip(path, manifest: str):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest)
        archive.writestr("web_resources/big.html", BOMB)
    return path


BOMB_MANIFEST = """<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1" identifier="bomb-1">
  <metadata><lom><general><title><string>Bomb course</string></title></general></lom></metadata>
  <resources><resource identifier="r1" type="webcontent" href="web_resources/big.html">
    <file href="web_resources/big.html"/></resource></resources>
</manifest>"""


@pytest.mark.parametrize(
    ("manifest", "reason"),
    [
        ("<manifest/>", "imsmanifest.xml has no identifier"),
        ('<manifest identifier="x1"><resources/></manifest>', "no course title"),
        (BOMB_MANIFEST, "the cartridge holds no readable course file"),
    ],
)
def test_a_zip_bomb_through_import_content_creates_no_course(tmp_path, capsys, manifest, reason):
    path = bomb_zip(tmp_path / "bomb.imscc", manifest)
    with pytest.raises(CommandError, match="1 archive"):
        call_command("import_content", str(path))
    assert reason in capsys.readouterr().err
    assert not LearningResource.objects.exists() and not ContentFile.objects.exists()
    run = ImportRun.objects.get(source=ARCHIVE_FILES_SOURCE)
    assert run.trigger == ImportRun.Trigger.CLI and run.failed == 1
    assert ContentArchive.objects.get(source=ARCHIVE_FILES_SOURCE).status == ContentArchive.Status.FAILED


def test_no_title_ever_comes_from_a_temporary_folder(tmp_path):
    call_command("import_content", str(make_zip(tmp_path / "c.imscc", CARTRIDGE)))
    titles = list(LearningResource.objects.values_list("title", flat=True))
    assert titles == ["Urban Design Studio"]


# --- cartridges that share an identifier -----------------------------------------------------------------------

OTHER_CARTRIDGE = {
    "imsmanifest.xml": MANIFEST.replace("Urban Design Studio", "Copied Template Course").replace(
        "wiki_content/welcome.html", "wiki_content/start.html"
    ),
    "wiki_content/start.html": "<h1>Start</h1><p>A different course that reused the template's identifier.</p>",
    "a1/site-analysis.html": "<p>Another assignment text.</p>",
    "a1/assignment_settings.xml": "<assignment/>",
}


def test_a_cartridge_reusing_another_s_identifier_becomes_its_own_course(tmp_path, settings):
    folder = tmp_path / "canvas"
    folder.mkdir()
    settings.CANVAS_CONTENT_ARCHIVES = str(folder)
    make_zip(folder / "urban.imscc", CARTRIDGE)
    first = run_import("canvas_content")
    assert first.status == ImportRun.Status.SUCCEEDED, first.message
    urban = LearningResource.objects.get(source="canvas", source_id="cc-demo-1")
    before = set(ContentFile.objects.filter(resource=urban, published=True).values_list("key", flat=True))

    make_zip(folder / "template-copy.imscc", OTHER_CARTRIDGE)
    second = run_import("canvas_content")
    assert second.status == ImportRun.Status.SUCCEEDED, second.message
    copy = LearningResource.objects.get(source="canvas", source_id="cc-demo-1:template-copy")
    assert copy.title == "Copied Template Course"
    assert set(ContentFile.objects.filter(resource=urban, published=True).values_list("key", flat=True)) == before
    assert "wiki_content/start.html" in set(ContentFile.objects.filter(resource=copy).values_list("key", flat=True))
    assert any("already the course of urban.imscc" in warning for warning in second.warnings)
    assert second.unpublished == 0

    # A newer export under the first file name still updates the first course; the copy keeps its own.
    third = run_import("canvas_content", force=True)
    assert third.status == ImportRun.Status.SUCCEEDED
    assert LearningResource.objects.filter(source="canvas").count() == 2


def test_real_cartridges_sharing_an_identifier_keep_their_files(realdata, tmp_path):
    # single-page.imscc and cc2olx_main_fixture.imscc both say identifier="i5eb2366c5fc27e17b7bcb0ae4b0a9c0b".
    for name in ("single-page.imscc", "cc2olx_main_fixture.imscc"):
        shutil.copy(realdata / "imscc" / name, tmp_path / name)
    call_command("import_content", str(tmp_path / "single-page.imscc"))
    single = LearningResource.objects.get(source="canvas")
    single_files = ContentFile.objects.filter(resource=single, published=True).count()
    call_command("import_content", str(tmp_path / "cc2olx_main_fixture.imscc"))
    assert LearningResource.objects.filter(source="canvas").count() == 2
    assert ContentFile.objects.filter(resource=single, published=True).count() == single_files
    other = LearningResource.objects.exclude(pk=single.pk).get(source="canvas")
    assert other.source_id == "i5eb2366c5fc27e17b7bcb0ae4b0a9c0b:cc2olx_main_fixture"


# --- import_content through the runner --------------------------------------------------------------------------


def test_import_content_records_a_run_and_skips_an_unchanged_archive(tmp_path, capsys):
    path = make_zip(tmp_path / "c.imscc", CARTRIDGE)
    call_command("import_content", str(path))
    run = ImportRun.objects.get(source=ARCHIVE_FILES_SOURCE)
    assert (run.status, run.trigger, run.created) == (ImportRun.Status.SUCCEEDED, "cli", 2)
    call_command("import_content", str(path))
    assert "1 unchanged" in capsys.readouterr().out
    assert ImportRun.objects.filter(source=ARCHIVE_FILES_SOURCE).count() == 2


def test_import_content_dry_run_writes_nothing(tmp_path):
    call_command("import_content", str(make_zip(tmp_path / "c.imscc", CARTRIDGE)), "--dry-run")
    assert not LearningResource.objects.exists() and not ContentArchive.objects.exists()
    assert ImportRun.objects.get(source=ARCHIVE_FILES_SOURCE).dry_run


def test_an_unmatched_olx_export_fails_and_says_how_to_name_the_course(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import_content", str(make_tar(tmp_path / "c.tar.gz", OLX)))
    err = capsys.readouterr().err
    assert "no catalogue course matches OLX course LearnhubX+18.01x" in err
    assert "--resource ID" in err and "SOURCE:SOURCE_ID" in err
    assert not ContentFile.objects.exists()


def test_resource_named_by_source_and_source_id(tmp_path):
    course = CourseFactory(source="mitxonline", source_id="some-other-id")
    call_command("import_content", str(make_tar(tmp_path / "c.tar.gz", OLX)), "--resource", "mitxonline:some-other-id")
    assert ContentFile.objects.filter(resource=course).count() == 4
    with pytest.raises(CommandError, match="no resource 'mitxonline:nope'"):
        call_command("import_content", str(tmp_path / "c.tar.gz"), "--resource", "mitxonline:nope")


# --- the run page: true counts and the guard's verdict -----------------------------------------------------------


@pytest.fixture
def admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss", "boss@example.org", "pw"))
    return client


def examples(n):
    return [{"resource_type": "course", "source_id": f"c{i}", "title": f"Course {i}"} for i in range(n)]


def test_run_page_shows_true_totals_and_the_guard_verdict(admin):
    verdict = {"missing": 59, "published_before": 300, "share": 0.1967, "limit": 0.1, "tripped": True, "forced": False}
    run = ImportRun.objects.create(
        source="fakecourses",
        status=ImportRun.Status.NEEDS_REVIEW,
        diff={"would_unpublish": examples(20), "would_unpublish_count": 59, "guard": verdict},
    )
    html = admin.get(f"/admin/imports/runs/{run.pk}/").content.decode()
    assert "59 would be unpublished (showing 20)" in html
    assert "guard: 59 of 300 (20%) &gt; 10% limit → stopped for review" in html


def test_run_page_of_an_old_run_counts_its_examples(admin):
    run = ImportRun.objects.create(source="fakecourses", dry_run=True, diff={"would_create": examples(3)})
    html = admin.get(f"/admin/imports/runs/{run.pk}/").content.decode()
    assert "3 would be created" in html and "showing" not in html and "guard:" not in html


def test_guard_summary_wording():
    verdict = {"missing": 5, "published_before": 100, "share": 0.05, "limit": 0.5, "tripped": False, "forced": False}
    assert guard_summary(verdict) == "guard: 5 of 100 (5%) ≤ 50% limit → unpublished"
    assert guard_summary(verdict, dry_run=True).endswith("→ would unpublish")
    forced = {**verdict, "share": 0.6, "missing": 60, "tripped": True, "forced": True}
    assert guard_summary(forced) == "guard: 60 of 100 (60%) > 50% limit → forced: unpublished anyway"
    assert guard_summary(None) == ""

"""Mapping files of the generic catalogue importer: each feature on a small export, its bad input, the three real
public catalogues end to end, and the command line (--mapping, --preview)."""

import io
import json

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest

from catalog.models import LearningResource
from importers.errors import TransformError
from importers.models import ImportRun, SourceSettings
from importers.runner import run_import
from importers.sources.base import Snapshot, SnapshotDocument
from importers.sources.catalog_mapping import language_tag, parse_number
from tests.conftest import REPO_ROOT

from .fixtures import by_id, transform

SOURCE = "csv_catalog"
MAPPINGS = REPO_ROOT / "importers" / "mappings"

CATALOGUE = (
    "id,name,teachers,langs,price,what_you_learn,syllabus,starts,students,rating\n"
    "c1,Data Science,Jean-Luc Picard-Smith|Ana Bell,中文,FREE-Add a Verified Certificate for $99,"
    "Statistics,Week 1: data,05/03/2025,5.3k,4.5\n"
    'c2,Opera,NA,Italiano;日本語,$49,NA,-,31/02/2025,"1,234",N/A\n'
    "c3,Elvish,N/A,Zzyzxish,Free,Elves,,2025-06-01,12,-\n"
).encode()
MAPPING = """
date_formats: ["%d/%m/%Y"]
fields:
  source_id: id
  title: name
  instructors: {column: teachers, split: "|"}
  languages: {column: langs, split: ";"}
  price: price
  full_description: {template: "{what_you_learn}\\n\\n{syllabus}"}
  certification: {column: price, true_if_matches: "(?i)certificate"}
  start_date: starts
extra:
  enrolments: {column: students, type: number}
  rating: {column: rating, type: number}
"""


def snapshot(content: bytes = CATALOGUE, mapping: str | None = MAPPING, name: str = "catalog.csv") -> Snapshot:
    documents = [SnapshotDocument(name, content, "text/csv")]
    if mapping is not None:
        documents.append(SnapshotDocument("_mapping.yaml", mapping.encode(), metadata={"path": "m/catalog.yaml"}))
    return Snapshot(SOURCE, documents)


def test_per_column_separators_keep_hyphenated_names_whole():
    records, _ = transform(SOURCE, snapshot())
    assert by_id(records)["c1"]["instructors"] == ["Jean-Luc Picard-Smith", "Ana Bell"]


def test_null_markers_are_never_stored():
    records, _ = transform(SOURCE, snapshot())
    opera, elvish = by_id(records)["c2"], by_id(records)["c3"]
    assert "instructors" not in opera and "instructors" not in elvish  # "NA", "N/A"
    assert "full_description" not in opera  # "NA" and "-": the template has nothing to show
    assert "rating" not in opera["extra"] and "rating" not in elvish["extra"]
    assert not any(value in ("NA", "N/A", "-") for record in records for value in record["extra"].values())


def test_null_markers_are_configurable():
    mapping = MAPPING.replace("date_formats", 'null_values: ["", "NA"]\ndate_formats')
    records, _ = transform(SOURCE, snapshot(mapping=mapping))
    assert by_id(records)["c3"]["instructors"] == ["N/A"]  # no longer a null marker


def test_language_names_in_any_script_and_unknown_ones_kept_as_warnings():
    records, source = transform(SOURCE, snapshot())
    items = by_id(records)
    assert items["c1"]["languages"] == ["zh"]
    assert items["c2"]["languages"] == ["it", "ja"]
    assert "languages" not in items["c3"]  # the record is kept
    assert items["c3"]["extra"]["unmapped_languages"] == ["Zzyzxish"]
    assert "catalog.csv line 4 id c3: languages: 'Zzyzxish' is not a language name or code langcodes knows" in (
        "\n".join(source.warnings)
    )


@pytest.mark.parametrize(
    "value, code",
    [("English", "en"), ("en-us", "en-US"), ("pt_BR", "pt-BR"), ("Español", "es"), ("русский", "ru"), ("", "")],
)
def test_language_tag(value, code):
    assert language_tag(value) == code


def test_templates_combine_columns():
    records, _ = transform(SOURCE, snapshot())
    assert by_id(records)["c1"]["full_description"] == "<p>Statistics</p><p>Week 1: data</p>"
    assert by_id(records)["c3"]["full_description"] == "<p>Elves</p>"  # an empty syllabus leaves no gap


def test_derived_boolean_from_a_price_text_and_from_a_column_value():
    records, _ = transform(SOURCE, snapshot())
    items = by_id(records)
    assert items["c1"]["certification"] is True and items["c1"]["certification_type"] == "completion"
    assert items["c2"]["certification"] is False
    mapping = MAPPING + "  paid_flag: {column: price, true_values: ['$49'], type: boolean}\n"
    records, _ = transform(SOURCE, snapshot(mapping=mapping))
    assert [by_id(records)[key]["extra"]["paid_flag"] for key in ("c1", "c2", "c3")] == [False, True, False]


@pytest.mark.parametrize(
    "text, number",
    [("5.3k", 5300), ("1,234", 1234), ("1.2M", 1_200_000), ("12", 12), ("4.5", 4.5), ("lots", None), ("", None)],
)
def test_parse_number(text, number):
    assert parse_number(text) == number


def test_counts_go_into_extra():
    records, _ = transform(SOURCE, snapshot())
    assert [by_id(records)[key]["extra"]["enrolments"] for key in ("c1", "c2", "c3")] == [5300, 1234, 12]


def test_date_formats_and_a_bad_date_is_that_records_field_warning():
    records, source = transform(SOURCE, snapshot())
    items = by_id(records)
    assert items["c1"]["runs"][0]["start_date"] == "2025-03-05T00:00:00+00:00"  # %d/%m/%Y
    assert items["c3"]["runs"][0]["start_date"] == "2025-06-01T00:00:00+00:00"  # ISO 8601
    assert "runs" not in items["c2"]  # 31 February: the record loads without it
    assert (
        "catalog.csv line 3 id c2: start_date: '31/02/2025' is not a date (%d/%m/%Y, ISO 8601); left empty"
        in source.warnings
    )


def test_an_unknown_column_is_an_error_naming_it_and_the_mapping_file():
    with pytest.raises(TransformError) as error:
        transform(SOURCE, snapshot(mapping=MAPPING.replace("column: teachers", "column: teacher")))
    message = str(error.value)
    assert "mapping file m/catalog.yaml" in message and "field 'instructors' names column 'teacher'" in message
    assert "catalog.csv does not have" in message
    with pytest.raises(TransformError, match=r"names column 'sylabus'.*m/catalog.yaml|m/catalog.yaml.*'sylabus'"):
        transform(SOURCE, snapshot(mapping=MAPPING.replace("{syllabus}", "{sylabus}")))


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("fields: {titel: name}", "unknown field 'titel'"),
        ("fields: {title: {column: name, colour: red}}", "unknown key(s) colour"),
        ("fields: {title: {column: name, template: '{x}'}}", "exactly one of column, columns, template or value"),
        ("fields: {description: {template: 'no columns'}}", "the template names no column"),
        ("extra: {n: {column: students, type: integer}}", "type 'integer' is not one of"),
        ("fields: {certification: {column: price, true_if_matches: '('}}", "not a regular expression"),
        ("fields: [title", "is not valid YAML"),
    ],
)
def test_bad_mappings_name_the_mapping_and_the_problem(mapping, message):
    with pytest.raises(TransformError) as error:
        transform(SOURCE, snapshot(mapping=mapping))
    assert message in str(error.value) and ("m/catalog.yaml" in str(error.value) or "_mapping.yaml" in str(error.value))


def test_json_arrays_with_item_templates_and_constant_values():
    items = [
        {"id": "a", "title": "A", "topics": [{"subCat": "Physics", "speciality": "Optics"}], "mcn": "8.01"},
        {"id": "b", "title": "B", "topics": [{"subCat": "Math", "speciality": ""}], "mcn": "Supplemental"},
    ]
    mapping = json.dumps(
        {
            "fields": {
                "topics": {"column": "topics", "item_template": "{subCat} > {speciality}"},
                "course_numbers": {"column": "mcn", "null_values": ["Supplemental"]},
                "price": {"value": "Free"},
                "url": {"template": "https://ocw.mit.edu/courses/{id}/"},
            }
        }
    )
    documents = [
        SnapshotDocument("courses.json", json.dumps(items).encode()),
        SnapshotDocument("_mapping.json", mapping.encode()),
    ]
    records, _ = transform(SOURCE, Snapshot(SOURCE, documents))
    a, b = by_id(records)["a"], by_id(records)["b"]
    assert a["topics"] == ["Physics > Optics"] and b["topics"] == ["Math"]
    assert a["course_numbers"] == ["8.01"] and "course_numbers" not in b
    assert a["free"] is True and a["url"] == "https://ocw.mit.edu/courses/a/"


@pytest.mark.django_db
def test_the_mapping_in_the_sources_admin_config(tmp_path):
    import yaml

    SourceSettings.objects.create(source=SOURCE, config={"mapping": yaml.safe_load(MAPPING)})
    export = tmp_path / "catalog.csv"
    export.write_bytes(CATALOGUE)
    run = run_import(SOURCE, file=str(export))
    assert run.status == "succeeded", run.message
    assert run.created == 3 and run.failed == 0
    course = LearningResource.objects.get(source=SOURCE, source_id="c1")
    assert set(course.instructors.values_list("full_name", flat=True)) == {"Jean-Luc Picard-Smith", "Ana Bell"}
    assert not LearningResource.objects.get(source_id="c2").instructors.exists()  # "NA" is no one


# --- the command line ----------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    export, mapping = tmp_path / "catalog.csv", tmp_path / "catalog.yaml"
    export.write_bytes(CATALOGUE)
    mapping.write_text(MAPPING)
    return export, mapping


@pytest.mark.django_db
def test_cli_preview_shows_the_first_rows_and_imports_nothing(files):
    export, mapping = files
    out = io.StringIO()
    call_command("import", SOURCE, file=str(export), mapping=str(mapping), preview=True, rows=2, stdout=out)
    text = out.getvalue()
    assert "catalog.csv line 2: c1 Data Science" in text and "catalog.csv line 3: c2 Opera" in text
    assert "line 4" not in text
    assert "extra.enrolments" in text and "5.3k" in text and "5300" in text
    assert "warning: start_date: '31/02/2025' is not a date" in text
    assert "2 rows previewed; nothing was imported" in text
    assert not ImportRun.objects.exists() and not LearningResource.objects.exists()


@pytest.mark.django_db
def test_cli_import_with_a_mapping_stores_it_with_the_snapshot(files):
    export, mapping = files
    call_command("import", SOURCE, file=str(export), mapping=str(mapping), no_progress=True, stdout=io.StringIO())
    run = ImportRun.objects.get()
    assert run.status == "succeeded" and run.created == 3
    assert [d["name"] for d in run.snapshot.documents] == ["catalog.csv", "_mapping.yaml"]
    assert LearningResource.objects.get(source_id="c2").title == "Opera"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options, message",
    [
        ({"mapping": "/nonexistent/m.yaml"}, "no such mapping file: /nonexistent/m.yaml"),
        ({"source": "oll", "mapping": "MAPPING"}, "oll takes no mapping file"),
        ({"file": None, "preview": True}, "--mapping and --preview read a file: give it with --file"),
    ],
)
def test_cli_mistakes(files, options, message):
    export, mapping = files
    options = {"file": str(export), **options}
    source = options.pop("source", SOURCE)
    if options.get("mapping") == "MAPPING":
        options["mapping"] = str(mapping)
    with pytest.raises(CommandError, match=message):
        call_command("import", source, stdout=io.StringIO(), **options)


@pytest.mark.django_db
def test_cli_bad_mapping_is_one_line(files):
    export, mapping = files
    mapping.write_text("fields: {titel: name}")
    with pytest.raises(CommandError, match=rf"mapping file {mapping}: unknown field 'titel'"):
        call_command("import", SOURCE, file=str(export), mapping=str(mapping), stdout=io.StringIO())
    mapping.write_text(MAPPING.replace("column: teachers", "column: teacher"))
    with pytest.raises(CommandError, match=rf"mapping file {mapping}: field 'instructors' names column 'teacher'"):
        call_command("import", SOURCE, file=str(export), mapping=str(mapping), preview=True, stdout=io.StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "argv",
    [["import", "--list"], ["import", "oll"], ["import_locks"], ["import_locks", "sweep"], ["import_content", "."]],
)
def test_import_commands_on_an_unmigrated_database_are_one_line(argv, monkeypatch):
    monkeypatch.setattr(
        "cms.management.base.MigrationExecutor.migration_plan", lambda self, targets: [("pending", False)]
    )
    with pytest.raises(CommandError, match="the database has unapplied migrations: run `manage.py migrate` first"):
        call_command(*argv, stdout=io.StringIO())


# --- the real public catalogues ------------------------------------------------------------------------------


REAL = [
    ("udemy_courses.csv", "udemy_courses.yaml", 3678, 3672),
    ("coursera_courses.csv", "coursera_courses.yaml", 891, 891),
    ("mit_ocw_courses_808.json", "mit_ocw_courses.json", 808, 808),
]


@pytest.mark.realdata
@pytest.mark.django_db
@pytest.mark.parametrize("data, mapping, rows, records", REAL, ids=[r[0] for r in REAL])
def test_real_catalogues_import_with_their_mapping(realdata, data, mapping, rows, records):
    out = io.StringIO()
    call_command(
        "import",
        SOURCE,
        file=str(realdata / "catalog_datasets" / data),
        mapping=str(MAPPINGS / mapping),
        no_progress=True,
        stdout=out,
    )
    run = ImportRun.objects.get()
    assert run.status == "succeeded", run.message
    assert (run.records, run.created, run.failed, run.error_count) == (records, records, 0, 0)
    # The only rows left out are repeats of an earlier row (Udemy's export has six), never a field problem.
    assert len(run.warnings) == rows - records
    assert all("repeats an earlier row" in warning for warning in run.warnings)
    resources = LearningResource.objects.filter(source=SOURCE)
    assert resources.count() == records
    assert not resources.filter(title__in=("NA", "N/A", "-")).exists()
    assert not any("Supplemental" in numbers for numbers in resources.values_list("course_numbers", flat=True))
    # Derived values are stored where the API shows them: enrolment counts in `extra`, a certificate flag.
    if data == "udemy_courses.csv":
        banking = resources.get(source_id="1070968")
        assert banking.extra == {"enrolments": 2147, "reviews": 23, "lectures": 51} and banking.certification
    if data == "mit_ocw_courses_808.json":
        d4m = resources.get(source_id="res-ll-005-d4m-signal-processing-on-databases-fall-2012")
        assert list(d4m.departments.values_list("code", flat=True)) == ["RES"]
        assert list(d4m.runs.values_list("semester", "year")) == [("Fall", 2012)]
        assert resources.filter(departments__code="6").count() == 174  # electrical-engineering-and-computer-science
        assert not resources.filter(departments=None).exists() and not resources.filter(runs=None).exists()


@pytest.mark.realdata
def test_real_catalogue_spot_checks(realdata):
    def records(data, mapping):
        path = realdata / "catalog_datasets" / data
        documents = [
            SnapshotDocument(path.name, path.read_bytes()),
            SnapshotDocument(f"_mapping{(MAPPINGS / mapping).suffix}", (MAPPINGS / mapping).read_bytes()),
        ]
        found, source = transform(SOURCE, Snapshot(SOURCE, documents))
        return by_id(found), source

    udemy, _ = records("udemy_courses.csv", "udemy_courses.yaml")
    banking = udemy["1070968"]
    assert banking["title"] == "Ultimate Investment Banking Course"
    assert banking["extra"] == {"enrolments": 2147, "reviews": 23, "lectures": 51}
    assert banking["certification"] is True and banking["free"] is False
    assert sum(1 for r in udemy.values() if r["free"]) == 310
    assert not any(r["certification"] for r in udemy.values() if r["free"])

    coursera, _ = records("coursera_courses.csv", "coursera_courses.yaml")
    sscp = coursera["134"]
    assert sscp["title"] == "(ISC)² Systems Security Certified Practitioner (SSCP)"
    assert sscp["resource_type"] == "program" and sscp["extra"]["enrolments"] == 5300
    assert sscp["offered_by"] == {"name": "(ISC)²"} and sscp["level"] == "introductory"
    assert sum(1 for r in coursera.values() if r["resource_type"] == "program") == 309
    assert coursera["163"]["title"] == "Финансовые инструменты для частного инвестора"  # non-Latin titles kept

    ocw, _ = records("mit_ocw_courses_808.json", "mit_ocw_courses.json")
    d4m = ocw["res-ll-005-d4m-signal-processing-on-databases-fall-2012"]
    assert "course_numbers" not in d4m  # "Supplemental" is this catalogue's null marker
    assert d4m["topics"] == ["Computer Science > Data Mining"]
    assert d4m["url"] == "https://ocw.mit.edu/resources/res-ll-005-d4m-signal-processing-on-databases-fall-2012/"
    assert ocw["2-003sc-engineering-dynamics-fall-2011"]["course_numbers"] == ["2.003SC"]
    assert ocw["2-003sc-engineering-dynamics-fall-2011"]["departments"] == [
        {"code": "2", "name": "Mechanical Engineering"}
    ]
    assert d4m["runs"][0]["semester"] == "Fall" and d4m["runs"][0]["year"] == 2012
    assert {r["runs"][0]["semester"] for r in ocw.values()} >= {"Fall", "Spring", "January IAP"}
    assert not any("Supplemental" in r.get("course_numbers", []) for r in ocw.values())


# --- the source's admin page ---------------------------------------------------------------------------------


@pytest.fixture
def admin(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_saves_a_checked_mapping_and_previews_a_file(admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    import yaml

    page = f"/admin/imports/{SOURCE}/"
    bad = json.dumps({"mapping": {"fields": {"titel": "name"}}})
    response = admin.post(page, {"save_settings": "1", "enabled": "on", "config": bad})
    assert response.status_code == 200 and "unknown field &#x27;titel&#x27;" in response.content.decode()
    assert not SourceSettings.objects.exists()

    config = json.dumps({"mapping": yaml.safe_load(MAPPING)})
    response = admin.post(page, {"save_settings": "1", "enabled": "on", "config": config})
    assert response.status_code == 302
    assert SourceSettings.objects.get(source=SOURCE).config["mapping"]["fields"]["title"] == "name"

    upload = SimpleUploadedFile("catalog.csv", CATALOGUE, content_type="text/csv")
    response = admin.post(page, {"preview": "1", "rows": "2", "file": upload})
    text = response.content.decode()
    assert response.status_code == 200
    assert "catalog.csv line 2: c1 Data Science" in text and "catalog.csv line 3: c2 Opera" in text
    assert "line 4" not in text and "extra.enrolments" in text and "5300" in text
    assert "start_date: &#x27;31/02/2025&#x27; is not a date" in text
    assert not ImportRun.objects.exists() and not LearningResource.objects.exists()

    upload = SimpleUploadedFile("other.csv", b"course,teacher\nA,B\n", content_type="text/csv")
    response = admin.post(page, {"preview": "1", "rows": "2", "file": upload})
    assert (
        "the source&#x27;s config (mapping): field &#x27;source_id&#x27; names column &#x27;id&#x27;, which other.csv"
        in (response.content.decode())
    )

"""MIT OpenCourseWare course sites, from a directory or from S3 (moto's server over real HTTP)."""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from catalog.models import LearningResource
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.sources.base import Snapshot
from importers.transports.http import HttpClient

from .fixtures import FIXTURES, by_id, snapshot_with, transform

SOURCE = "ocw"
ALGORITHMS = "6-006-introduction-to-algorithms-spring-2020"
CALCULUS = "18-01sc-single-variable-calculus-fall-2010"
UNIFIED = "16-01-unified-engineering-i-ii-iii-iv-fall-2005-spring-2006"


def fixture_snapshot():
    source = get_source(SOURCE)
    return Snapshot(SOURCE, list(source.documents_from_path(FIXTURES / "ocw")))


def test_directory_documents_are_named_by_site():
    names = [d.name for d in fixture_snapshot().documents]
    assert names == [
        f"{CALCULUS}/data.json",
        f"{ALGORITHMS}/data.json",
        f"{ALGORITHMS}/resources/lecture-1-video/data.json",
        f"{ALGORITHMS}/resources/ps1/data.json",
    ]


def test_transform_fixture():
    records, _ = transform(SOURCE, fixture_snapshot())
    items = by_id(records)
    course = items[ALGORITHMS]
    assert course["title"] == "Introduction to Algorithms"
    assert course["url"] == f"https://ocw.mit.edu/courses/{ALGORITHMS}/"
    assert course["image_url"] == f"https://ocw.mit.edu/courses/{ALGORITHMS}/cover.jpg"
    assert course["image_alt"] == "A binary tree"
    # Relative links in the description are resolved against the course site.
    assert 'href="https://ocw.mit.edu/courses/6-006/pages/syllabus/"' in course["description"]
    assert course["course_numbers"] == ["6.006", "6.0061", "18.410"]
    assert course["departments"] == [
        {"code": "6", "name": "Electrical Engineering and Computer Science"},
        {"code": "18", "name": "Mathematics"},
    ]
    assert course["topics"] == ["Engineering > Computer Science", "Mathematics > Discrete Mathematics"]
    assert "Algorithms and Data Structures" in course["keywords"]  # the third topic level
    assert course["instructors"] == ["Erik Demaine", "Jason Ku", "Justin M. Solomon"]
    assert course["level"] == "undergraduate"
    assert course["license"] == "CC BY-NC-SA 4.0"
    assert course["free"] is True and course["availability"] == "anytime"
    assert course["runs"] == [
        {
            "run_id": "aaaa-1111",
            "title": "Introduction to Algorithms",
            "semester": "Spring",
            "year": 2020,
            "instructors": ["Erik Demaine", "Jason Ku", "Justin M. Solomon"],
            "pace": "self_paced",
            "delivery": "online",
        }
    ]
    resources = course["extra"]["resources"]
    assert [r["title"] for r in resources] == ["Lecture 1: Algorithms and Computation", "Problem Set 1"]
    assert resources[0]["youtube_id"] == "ZA-tUyM_y7s"
    assert resources[1]["url"] == f"https://ocw.mit.edu/courses/{ALGORITHMS}/ps1.pdf"
    assert items[CALCULUS]["level"] == "high_school"
    assert items[CALCULUS]["course_numbers"] == ["18.01SC"]


def test_transform_realdata(realdata):
    source = get_source(SOURCE)
    snapshot = Snapshot(SOURCE, list(source.documents_from_path(realdata / "ocw")))
    records = list(source.transform(snapshot))
    assert len(records) == 1
    course = records[0]
    # The realdata files are loose (not in a site folder): the site comes from the image path.
    assert course["source_id"] == UNIFIED
    assert course["title"] == "Unified Engineering I, II, III, & IV"
    assert course["course_numbers"] == ["16.01", "16.02", "16.03", "16.04"]
    assert course["departments"] == [{"code": "16", "name": "Aeronautics and Astronautics"}]
    assert course["instructors"][:3] == ["Mark Drela", "Steven Hall", "Paul A. Lagace"]
    assert course["runs"][0]["semester"] == "Fall" and course["runs"][0]["year"] == 2005
    assert course["topics"] == ["Social Science > Anthropology", "Humanities > Philosophy"]
    assert course["image_alt"].startswith("Illustration of an aircraft wing")
    assert course["level"] == "undergraduate"
    assert {r["type"] for r in course["extra"]["resources"]} == {"Video", "Document"}
    assert any("ocw-course-site-config.json" in warning for warning in source.warnings)


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"course_title": "x", ', "invalid JSON"),
        (b"<html><body>Access Denied</body></html>", "HTML page"),
        (b"[1, 2]", "wrong schema"),
        (b'{"content_type": "page", "title": "Syllabus"}', "no OCW course data.json"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("site/data.json", content))))
    assert message.lower() in str(error.value).lower() and "site/data.json" in str(error.value)


def test_extract_from_a_configured_directory():
    with HttpClient() as http:
        documents = list(get_source(SOURCE, {"directory": str(FIXTURES / "ocw"), "bucket": ""}).extract(http))
    assert len(documents) == 4 and documents[0].name == f"{CALCULUS}/data.json"
    assert documents[0].metadata["path"].endswith(f"{CALCULUS}/data.json")


def test_extract_without_a_location_says_what_to_set():
    with HttpClient() as http, pytest.raises(ImportFetchError) as error:
        list(get_source(SOURCE, {"bucket": "", "directory": ""}).extract(http))
    assert "OCW_S3_BUCKET" in str(error.value) and "OCW_COURSES_DIR" in str(error.value)


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_extract_from_s3(moto_endpoint, settings):
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "key", "secret"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="key",
        aws_secret_access_key="secret",
    )
    client.create_bucket(Bucket="ocw-sites")
    for path in sorted((FIXTURES / "ocw").rglob("*.json")):
        key = "courses/" + path.relative_to(FIXTURES / "ocw").as_posix()
        client.put_object(Bucket="ocw-sites", Key=key, Body=path.read_bytes())
    client.put_object(Bucket="ocw-sites", Key=f"courses/{ALGORITHMS}/pages/syllabus/data.json", Body=b"{}")
    source = get_source(SOURCE, {"bucket": "ocw-sites", "prefix": "courses/", "endpoint_url": moto_endpoint})
    with HttpClient() as http:
        documents = list(source.extract(http))
    names = [d.name for d in documents]
    assert f"{ALGORITHMS}/data.json" in names and f"{ALGORITHMS}/resources/ps1/data.json" in names
    assert not any("pages/" in name for name in names)
    records, _ = transform(SOURCE, Snapshot(SOURCE, documents))
    assert {r["source_id"] for r in records} == {ALGORITHMS, CALCULUS}

    with HttpClient() as http, pytest.raises(ImportFetchError) as error:
        list(
            get_source(SOURCE, {"bucket": "ocw-sites", "prefix": "nothing/", "endpoint_url": moto_endpoint}).extract(
                http
            )
        )
    assert "s3://ocw-sites/nothing/" in str(error.value)


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "ocw"))
    assert run.status == "succeeded", run.message
    course = LearningResource.objects.get(source=SOURCE, source_id=UNIFIED)
    assert course.course_numbers == ["16.01", "16.02", "16.03", "16.04"]
    assert list(course.departments.values_list("code", flat=True)) == ["16"]
    assert course.instructors.count() == 10
    assert course.runs.get().year == 2005

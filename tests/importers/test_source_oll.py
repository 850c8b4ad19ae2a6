"""MIT Open Learning Library: the course metadata CSV."""

import pytest

from catalog.models import LearningResource
from importers.errors import TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.transports.http import HttpClient

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "oll"


def test_transform_fixture():
    records, _ = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "oll"))
    items = by_id(records)
    mechanics = items["MITx+8.01r"]
    assert mechanics["title"] == "Classical Mechanics"
    assert mechanics["runs"][0]["run_id"] == "MITx+8.01r+2T2024"
    assert mechanics["course_numbers"] == ["8.01"]
    assert mechanics["instructors"] == ["Walter Lewin", "Deepto Chakrabarty"]
    assert mechanics["topics"] == ["Science & Math > Physics"]
    assert mechanics["offered_by"] == {"code": "mitx", "name": "MITx"}
    assert mechanics["license"] == "CC BY-NC-SA 4.0"
    assert mechanics["duration"] == "14 weeks" and mechanics["min_weekly_hours"] == 9
    assert mechanics["description"] == "<p>Newton's laws.</p><p>With problem sets.</p>"
    chinese = items["OCW+21G.101"]
    assert chinese["languages"] == ["zh"]
    assert chinese["topics"] == ["Humanities > Languages", "Humanities > Chinese"]
    assert chinese["offered_by"] == {"code": "ocw", "name": "MIT OpenCourseWare"}
    assert chinese["image_url"] == "https://openlearninglibrary.mit.edu/flat-21g.jpg"
    assert "license" not in chinese and chinese["level"] == "introductory"
    assert items["MITx+9.00x"]["published"] is False  # published = NO


def test_transform_realdata(realdata):
    records, _ = transform(SOURCE, snapshot_of(SOURCE, realdata / "oll_csv"))
    assert len(records) == 64
    items = by_id(records)
    laplace = items["OCW+18.031"]
    assert laplace["title"] == "System Functions and the Laplace Transform"
    assert laplace["runs"][0]["run_id"] == "OCW+18.031+2019_Spring"
    assert laplace["instructors"] == ["Philip Pearce"]
    assert laplace["topics"] == ["Science & Math > Mathematics", "Science & Math > Algorithms and Data Structures"]
    assert laplace["url"] == "https://openlearninglibrary.mit.edu/courses/course-v1:OCW+18.031+2019_Spring/about"
    assert items["MITx+0.501x"]["instructors"] == ["Justin Reich", "Elizabeth Huttner-Loan", "Alyssa Napier"]
    assert items["MITx+0.501x"]["level"] == "graduate"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "document is empty"),
        (b"name,price\nA,1\n", "wrong schema"),
        (b"readable_id,title,url\n", "empty result"),
        ("readable_id,title,url\nMITx+1+2,Caf\xe9,https://x.org\n".encode("latin-1"), "not valid utf-8"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("oll_metadata.csv", content))))
    assert message.lower() in str(error.value).lower() and "oll_metadata.csv" in str(error.value)


def test_extract(httpserver, allow_local_http):
    body = (FIXTURES / "oll" / "oll_metadata.csv").read_bytes()
    httpserver.expect_request("/oll.csv").respond_with_data(body, content_type="text/csv")
    with HttpClient() as http:
        documents = list(get_source(SOURCE, {"url": httpserver.url_for("/oll.csv")}).extract(http))
    assert [(d.name, d.content_type) for d in documents] == [("oll_metadata.csv", "text/csv")]
    assert documents[0].content == body


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "oll_csv" / "oll_metadata.csv"))
    assert run.status == "succeeded", run.message
    assert run.created == 64 and run.failed == 0
    course = LearningResource.objects.get(source=SOURCE, source_id="OCW+18.031")
    assert course.platform.code == "oll" and course.free is True
    assert list(course.instructors.values_list("full_name", flat=True)) == ["Philip Pearce"]

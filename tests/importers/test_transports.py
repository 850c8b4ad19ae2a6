"""S3 transport against moto's server over real HTTP, and the local file transport."""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from importers.errors import ImportFetchError
from importers.transports.local import read_documents
from importers.transports.s3 import S3Reader


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_endpoint):
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    client.create_bucket(Bucket="ocw-content")
    client.put_object(Bucket="ocw-content", Key="courses/18.06/data.json", Body=b'{"course_title": "Linear Algebra"}')
    client.put_object(Bucket="ocw-content", Key="courses/18.06/resources/a.json", Body=b"{}")
    client.put_object(Bucket="ocw-content", Key="courses/6.001/data.json", Body=b'{"course_title": "SICP"}')
    client.put_object(Bucket="ocw-content", Key="other/readme.txt", Body=b"hello")
    yield S3Reader("ocw-content", endpoint_url=moto_endpoint, access_key="k", secret_key="s")
    for item in client.list_objects_v2(Bucket="ocw-content").get("Contents", []):
        client.delete_object(Bucket="ocw-content", Key=item["Key"])
    client.delete_bucket(Bucket="ocw-content")


def test_s3_lists_with_prefix_and_suffix(bucket):
    keys = [item["Key"] for item in bucket.list("courses/", "data.json")]
    assert keys == ["courses/18.06/data.json", "courses/6.001/data.json"]


def test_s3_reads_documents_named_relative_to_the_prefix(bucket):
    documents = list(bucket.read_documents("courses/18.06/"))
    assert [d.name for d in documents] == ["data.json", "resources/a.json"]
    assert documents[0].json() == {"course_title": "Linear Algebra"}
    assert documents[0].metadata["url"] == "s3://ocw-content/courses/18.06/data.json"
    assert documents[0].metadata["etag"]


def test_s3_missing_key_and_empty_prefix_are_clear(bucket):
    with pytest.raises(ImportFetchError, match=r"cannot read s3://ocw-content/nope.json: NoSuchKey"):
        bucket.read("nope.json")
    with pytest.raises(ImportFetchError, match="no objects under s3://ocw-content/missing/"):
        list(bucket.read_documents("missing/"))


def test_local_file_and_directory(tmp_path):
    (tmp_path / "a.json").write_bytes(b"[]")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.csv").write_bytes(b"title\nx\n")
    (tmp_path / ".hidden").write_bytes(b"x")
    documents = list(read_documents(tmp_path))
    assert [(d.name, d.content_type) for d in documents] == [("a.json", "application/json"), ("sub/b.csv", "text/csv")]
    assert [d.name for d in read_documents(tmp_path / "sub" / "b.csv")] == ["b.csv"]
    rows = list(documents[1].csv_rows())
    assert rows == [{"title": "x"}]


def test_local_missing_path(tmp_path):
    with pytest.raises(ImportFetchError, match="no such file or directory"):
        list(read_documents(tmp_path / "absent"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportFetchError, match="has no files"):
        list(read_documents(tmp_path / "empty"))

"""The content-file loader: create, skip unchanged by checksum, record failures per file, unpublish vanished."""

import hashlib
from dataclasses import dataclass

import pytest

from catalog.content_files import load_content_files
from catalog.factories import CourseFactory, RunFactory
from catalog.models import ContentFile

pytestmark = pytest.mark.django_db


@dataclass
class File:
    key: str
    data: bytes = b""
    text: str = ""
    title: str = ""
    content_type: str = "page"
    source_path: str = ""
    file_extension: str = ".html"
    url: str = ""

    @property
    def checksum(self):
        return hashlib.sha256(self.data or self.text.encode()).hexdigest()


class Extractor:
    def __init__(self):
        self.calls = []

    def __call__(self, data, filename):
        self.calls.append(filename)
        if data.startswith(b"BROKEN"):
            raise ValueError(f"{filename}: Tika could not parse it")
        return data.decode().upper()


def test_creates_then_skips_unchanged_and_updates_changed():
    course = CourseFactory()
    extract = Extractor()
    files = [File("html/a", data=b"alpha"), File("problem/b", text="solve x"), File("html/c", data=b"gamma")]
    first = load_content_files(course, files, extract=extract)
    assert (first.created, first.updated, first.unchanged, first.failed) == (3, 0, 0, 0)
    assert extract.calls == ["html/a", "html/c"]
    assert ContentFile.objects.get(key="html/a").content == "ALPHA"
    assert ContentFile.objects.get(key="problem/b").content == "solve x"
    assert len(first.changed_ids) == 3

    extract.calls.clear()
    files[2] = File("html/c", data=b"gamma v2")
    second = load_content_files(course, files, extract=extract)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 2)
    assert extract.calls == ["html/c"]
    assert ContentFile.objects.get(key="html/c").content == "GAMMA V2"
    assert second.changed_ids == [ContentFile.objects.get(key="html/c").pk]


def test_a_failed_file_is_recorded_and_the_others_load():
    course = CourseFactory()
    result = load_content_files(
        course, [File("a", data=b"fine"), File("b", data=b"BROKEN pdf", file_extension=".pdf")], extract=Extractor()
    )
    assert result.failed == 1
    assert result.errors == [{"key": "b", "error": "b: Tika could not parse it"}]
    broken = ContentFile.objects.get(key="b")
    assert broken.extraction_error == "b: Tika could not parse it"
    assert broken.content == ""
    assert ContentFile.objects.get(key="a").content == "FINE"
    # A failed file is tried again next time even though its bytes did not change.
    retry = load_content_files(course, [File("a", data=b"fine"), File("b", data=b"BROKEN pdf")], extract=Extractor())
    assert (retry.unchanged, retry.updated, retry.failed) == (1, 1, 1)


def test_an_empty_file_is_recorded_as_failed_and_the_others_load():
    course = CourseFactory()
    extract = Extractor()
    result = load_content_files(
        course,
        [File("a", data=b"fine"), File("empty", source_path="static/empty.txt", file_extension=".txt")],
        extract=extract,
    )
    assert (result.created, result.failed) == (2, 1)
    assert result.errors == [{"key": "empty", "error": "static/empty.txt: empty file"}]
    empty = ContentFile.objects.get(key="empty")
    assert (empty.extraction_error, empty.content, empty.published) == ("static/empty.txt: empty file", "", True)
    assert ContentFile.objects.get(key="a").content == "FINE"
    assert extract.calls == ["a"]


def test_vanished_files_are_unpublished_only_on_a_full_non_empty_listing():
    course = CourseFactory()
    load_content_files(course, [File("a", text="one"), File("b", text="two")], extract=Extractor())
    partial = load_content_files(course, [File("a", text="one")], extract=Extractor(), full=False)
    assert partial.unpublished == 0
    empty = load_content_files(course, [], extract=Extractor())
    assert empty.unpublished == 0
    full = load_content_files(course, [File("a", text="one")], extract=Extractor())
    assert full.unpublished == 1
    assert full.removed_ids == [ContentFile.objects.get(key="b").pk]
    assert not ContentFile.objects.get(key="b").published


def test_files_attach_to_a_run():
    course = CourseFactory()
    run = RunFactory(resource=course)
    load_content_files(course, [File("a", text="one")], extract=Extractor(), run=run)
    assert ContentFile.objects.get(key="a").run == run

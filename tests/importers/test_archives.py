"""Archive safety: hostile tar and zip files are refused with a reason and nothing lands outside the work dir."""

import io
import random
import tarfile
import zipfile

import pytest

from importers.extraction.archives import ArchiveError, ArchiveLimits, safe_extract


def write_tar(path, members):
    """members: (TarInfo-kwargs, bytes | None)."""
    with tarfile.open(path, "w:gz") as tar:
        for fields, data in members:
            info = tarfile.TarInfo(fields.pop("name"))
            for key, value in fields.items():
                setattr(info, key, value)
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def write_zip(path, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                zf.writestr(entry, b"secret")
            else:
                zf.writestr(*entry)
    return path


@pytest.fixture
def work(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    return work


def assert_nothing_escaped(tmp_path, work):
    outside = {p for p in tmp_path.rglob("*") if not p.is_relative_to(work)}
    assert {p.name for p in outside} <= {"work", "a.tar.gz", "a.zip", "bad", "a.bin"}
    assert not any(p.is_file() for p in work.rglob("*"))


def test_a_normal_course_archive_unpacks(tmp_path, work):
    archive = write_tar(
        tmp_path / "a.tar.gz",
        [
            ({"name": "course/course.xml"}, b"<course/>"),
            ({"name": "course/html/intro.html"}, b"<p>hi</p>"),
        ],
    )
    unpacked = safe_extract(archive, work)
    assert sorted(p.relative_to(work).as_posix() for p in unpacked.files) == [
        "course/course.xml",
        "course/html/intro.html",
    ]
    assert unpacked.skipped == {}
    assert (work / "course/html/intro.html").read_bytes() == b"<p>hi</p>"


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ({"name": "../../evil.txt"}, "climbs out"),
        ({"name": "/etc/evil.txt"}, "absolute path"),
        ({"name": "course/link", "type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "is a link"),
        ({"name": "course/hard", "type": tarfile.LNKTYPE, "linkname": "course/course.xml"}, "is a link"),
        ({"name": "course/dev", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}, "special file"),
    ],
)
def test_hostile_tar_entries_are_refused(tmp_path, work, member, reason):
    data = b"x" if member.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else None
    archive = write_tar(tmp_path / "a.tar.gz", [({"name": "course/course.xml"}, b"<course/>"), (member, data)])
    with pytest.raises(ArchiveError, match=reason):
        safe_extract(archive, work)
    assert_nothing_escaped(tmp_path, work)


@pytest.mark.parametrize(
    ("name", "reason"),
    [("../evil.html", "climbs out"), ("/abs/evil.html", "absolute path"), ("C:\\evil.html", "absolute path")],
)
def test_hostile_zip_paths_are_refused(tmp_path, work, name, reason):
    archive = write_zip(tmp_path / "a.zip", [("imsmanifest.xml", "<manifest/>"), (name, "<p>x</p>")])
    with pytest.raises(ArchiveError, match=reason):
        safe_extract(archive, work)
    assert_nothing_escaped(tmp_path, work)


def test_zip_symlink_and_encrypted_entries_are_refused(tmp_path, work):
    link = zipfile.ZipInfo("course/link")
    link.external_attr = 0o120777 << 16
    with pytest.raises(ArchiveError, match="is a link"):
        safe_extract(write_zip(tmp_path / "a.zip", [link]), work)
    # Python cannot write encrypted zips: set the "encrypted" flag bit in the local and central headers.
    raw = bytearray(write_zip(tmp_path / "a.zip", [("course/locked.txt", "secret")]).read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.index(signature) + offset
        raw[at] |= 0x1
    (tmp_path / "a.zip").write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="encrypted"):
        safe_extract(tmp_path / "a.zip", work)


def test_a_zip_bomb_member_is_skipped_by_ratio_and_the_rest_unpacks(tmp_path, work):
    archive = write_zip(tmp_path / "a.zip", [("zeros.bin", b"\0" * (60 * 1024 * 1024)), ("notes.txt", "Notes")])
    unpacked = safe_extract(archive, work)
    assert [p.name for p in unpacked.files] == ["notes.txt"]
    reason = unpacked.skipped[work.resolve() / "zeros.bin"]
    assert "zeros.bin: compressed more than 200:1 (CONTENT_ARCHIVE_MAX_RATIO): not unpacked" in reason
    assert not (work / "zeros.bin").exists()


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_a_member_over_the_ratio_limit_is_skipped(tmp_path, work, kind):
    members = [("course/static/zeros.txt", b"\0" * (12 * 1024 * 1024)), ("course/course.xml", b"<course/>")]
    if kind == "tar":
        archive = write_tar(tmp_path / "a.tar.gz", [({"name": name}, data) for name, data in members])
    else:
        archive = write_zip(tmp_path / "a.zip", members)
    unpacked = safe_extract(archive, work, ArchiveLimits(max_ratio=50))
    assert [p.name for p in unpacked.files] == ["course.xml"]
    assert "compressed more than 50:1" in unpacked.skipped[work.resolve() / "course/static/zeros.txt"]
    assert not (work / "course/static/zeros.txt").exists()


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_a_large_text_under_the_ratio_limit_is_kept(tmp_path, work, kind):
    # 12 MiB of words compress a few times over, not like a bomb: kept, whatever the read-ahead of gzip.
    rng = random.Random(0)
    words = [bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)]
    text = b" ".join(rng.choices(words, k=2_000_000))
    members = [("first.txt", b"x" * 100), ("big.txt", text)]
    if kind == "tar":
        archive = write_tar(tmp_path / "a.tar.gz", [({"name": name}, data) for name, data in members])
    else:
        archive = write_zip(tmp_path / "a.zip", members)
    unpacked = safe_extract(archive, work, ArchiveLimits(max_ratio=10))
    assert sorted(p.name for p in unpacked.files) == ["big.txt", "first.txt"] and unpacked.skipped == {}
    assert (work / "big.txt").stat().st_size == len(text) > 10 * 1024 * 1024


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_a_member_over_the_file_size_limit_is_skipped_and_the_rest_unpacks(tmp_path, work, kind):
    members = [("course/static/big.pdf", b"y" * 5000), ("course/course.xml", b"<course/>")]
    if kind == "tar":
        archive = write_tar(tmp_path / "a.tar.gz", [({"name": name}, data) for name, data in members])
    else:
        archive = write_zip(tmp_path / "a.zip", members)
    unpacked = safe_extract(archive, work, ArchiveLimits(max_file_bytes=4096))
    assert [p.relative_to(work.resolve()).as_posix() for p in unpacked.files] == ["course/course.xml"]
    assert unpacked.skipped == {
        work.resolve() / "course/static/big.pdf": (
            "course/static/big.pdf: larger than 4,096 bytes, the limit for one file of a course archive "
            "(CONTENT_ARCHIVE_MAX_FILE_BYTES): not unpacked"
        )
    }
    assert not (work / "course/static/big.pdf").exists()


def test_whole_archive_limits_on_file_count_and_total(tmp_path, work):
    many = write_tar(tmp_path / "a.tar.gz", [({"name": f"f{i}.txt"}, b"x") for i in range(6)])
    with pytest.raises(ArchiveError, match="more than 5 files"):
        safe_extract(many, work, ArchiveLimits(max_files=5))
    total = write_tar(tmp_path / "a.tar.gz", [({"name": f"p{i}.bin"}, b"z" * 3000) for i in range(4)])
    with pytest.raises(ArchiveError, match="unpacks to more than 10000 bytes"):
        safe_extract(total, work, ArchiveLimits(max_total_bytes=10_000))
    # A skipped member is still decompressed on the way to the next one: it counts in the total.
    skipped_big = write_tar(tmp_path / "a.tar.gz", [({"name": "big.bin"}, b"y" * 12_000), ({"name": "a.txt"}, b"a")])
    with pytest.raises(ArchiveError, match="unpacks to more than 10000 bytes"):
        safe_extract(skipped_big, work, ArchiveLimits(max_file_bytes=4096, max_total_bytes=10_000))
    assert_nothing_escaped(tmp_path, work)


def test_limits_come_from_settings(settings):
    assert ArchiveLimits.from_settings() == ArchiveLimits()
    settings.CONTENT_ARCHIVE_MAX_FILES = 10
    settings.CONTENT_ARCHIVE_MAX_FILE_BYTES = 1000
    settings.CONTENT_ARCHIVE_MAX_UNPACKED_BYTES = 5000
    settings.CONTENT_ARCHIVE_MAX_RATIO = 20
    assert ArchiveLimits.from_settings() == ArchiveLimits(
        max_files=10, max_file_bytes=1000, max_total_bytes=5000, max_ratio=20
    )


def test_corrupt_truncated_and_foreign_files(tmp_path, work):
    good = write_tar(tmp_path / "a.tar.gz", [({"name": f"f{i}.txt"}, bytes(range(256)) * 400) for i in range(5)])
    truncated = tmp_path / "bad"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ArchiveError, match="corrupt or truncated"):
        safe_extract(truncated, work)
    foreign = tmp_path / "a.bin"
    foreign.write_bytes(b"just some bytes, not an archive")
    with pytest.raises(ArchiveError, match="not a tar or zip archive"):
        safe_extract(foreign, work)
    assert_nothing_escaped(tmp_path, work)


@pytest.mark.parametrize(
    ("path", "expected_count"),
    [
        ("olx/mitx_content-devops-0001_olx.tar.gz", 94),
        ("misc_mit/mitx_8.01.3x_olx_export.tar.gz", 18),
        ("imscc/canvas_cc_gem_course.imscc", 15),
        ("imscc/cc2olx_main_fixture.imscc", None),
    ],
)
def test_real_archives_unpack(realdata, work, path, expected_count):
    files = safe_extract(realdata / path, work).files
    if expected_count is not None:
        assert len(files) == expected_count
    assert all(f.is_relative_to(work.resolve()) for f in files)
    assert any(f.name in {"course.xml", "imsmanifest.xml"} for f in files)

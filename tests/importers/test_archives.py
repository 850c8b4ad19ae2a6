"""Archive safety: hostile tar and zip files are refused with a reason and nothing lands outside the work dir."""

import io
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
    files = safe_extract(archive, work)
    assert sorted(p.relative_to(work).as_posix() for p in files) == ["course/course.xml", "course/html/intro.html"]
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


def test_zip_bomb_is_refused_by_ratio(tmp_path, work):
    archive = write_zip(tmp_path / "a.zip", [("zeros.bin", b"\0" * (60 * 1024 * 1024))])
    with pytest.raises(ArchiveError, match="compression ratio"):
        safe_extract(archive, work)
    assert_nothing_escaped(tmp_path, work)


def test_limits_on_file_count_file_size_and_total(tmp_path, work):
    many = write_tar(tmp_path / "a.tar.gz", [({"name": f"f{i}.txt"}, b"x") for i in range(6)])
    with pytest.raises(ArchiveError, match="more than 5 files"):
        safe_extract(many, work, ArchiveLimits(max_files=5))
    big = write_tar(tmp_path / "a.tar.gz", [({"name": "big.bin"}, b"y" * 5000)])
    with pytest.raises(ArchiveError, match="larger than 4096 bytes"):
        safe_extract(big, work, ArchiveLimits(max_file_bytes=4096))
    total = write_tar(tmp_path / "a.tar.gz", [({"name": f"p{i}.bin"}, b"z" * 3000) for i in range(4)])
    with pytest.raises(ArchiveError, match="unpacks to more than 10000 bytes"):
        safe_extract(total, work, ArchiveLimits(max_total_bytes=10_000))
    assert_nothing_escaped(tmp_path, work)


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
    files = safe_extract(realdata / path, work)
    if expected_count is not None:
        assert len(files) == expected_count
    assert all(f.is_relative_to(work.resolve()) for f in files)
    assert any(f.name in {"course.xml", "imsmanifest.xml"} for f in files)

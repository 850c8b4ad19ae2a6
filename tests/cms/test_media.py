"""Image files under /media/ on a site with DEBUG off and media on local disk (cms.views.media_image)."""

from pathlib import Path

from django.conf import settings

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_file(settings, tmp_path):
    """Write a file under MEDIA_ROOT (a temporary folder) and return its path relative to it."""
    settings.MEDIA_ROOT = tmp_path

    def write(relative: str, content: bytes = b"GIF89a\x01\x00\x01\x00") -> str:
        target = Path(tmp_path, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        return relative

    return write


def test_the_route_is_on_under_test_settings():
    # The test settings are production's in this respect: DEBUG off, no bucket.
    assert settings.DEBUG is False
    assert settings.SERVE_MEDIA_IMAGES is True


def test_a_rendition_is_served_with_its_type_and_a_day_of_caching(client, media_file):
    path = media_file("images/photo.fill-400x300.gif")
    response = client.get(f"/media/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert b"".join(response.streaming_content).startswith(b"GIF89a")


def test_an_original_image_is_served_and_head_works(client, media_file):
    path = media_file("original_images/photo.gif")
    assert client.get(f"/media/{path}").status_code == 200
    assert client.head(f"/media/{path}").status_code == 200


def test_documents_are_not_served_from_media(client, media_file):
    """Documents go through /documents/, which applies their collection's privacy; /media/ must not bypass it."""
    path = media_file("documents/private-report.pdf", b"%PDF-1.7 secret")
    response = client.get(f"/media/{path}")
    assert response.status_code == 404
    assert b"secret" not in response.content


@pytest.mark.parametrize("path", ["images/../documents/private-report.pdf", "images/%2e%2e/documents/x.pdf"])
def test_paths_leaving_the_image_folders_are_refused(client, media_file, path):
    media_file("documents/private-report.pdf", b"%PDF-1.7 secret")
    media_file("documents/x.pdf", b"%PDF-1.7 secret")
    response = client.get(f"/media/{path}")
    assert response.status_code == 404


def test_missing_files_and_writes_are_refused(client, media_file):
    assert client.get("/media/images/nothing-here.jpg").status_code == 404
    media_file("images/a.gif")
    assert client.post("/media/images/a.gif").status_code == 405

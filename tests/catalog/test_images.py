"""Imported resource images are fetched once (SSRF guard, size and type limits), stored as Wagtail images with
renditions, and shown from this site with a srcset; a failed fetch shows the local placeholder and says why."""

import io
import re
import time

from django.core.management import call_command

from wagtail.images import get_image_model

import pytest
from PIL import Image as PILImage
from werkzeug import Response

from catalog.demo import generate_records
from catalog.factories import LearningResourceFactory
from catalog.images import VARIANTS, all_specs
from catalog.loader import load_resources
from catalog.models import LearningResource
from importers.images import (
    COLLECTION_NAME,
    ImageRejected,
    check_image,
    fetch_resource_image,
    needing_fetch,
)

pytestmark = pytest.mark.django_db


def image_bytes(fmt="PNG", size=(1000, 600), colour=(200, 40, 60)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def server(settings, httpserver):
    """The local HTTP server, trusted by the SSRF guard under the name `localhost` only."""
    settings.IMPORTER_ALLOWED_HOSTS = ["localhost"]
    settings.RESOURCE_IMAGE_TIMEOUT = 5.0

    def url(path):
        return httpserver.url_for(path).replace("127.0.0.1", "localhost").replace("[::1]", "localhost")

    httpserver.local_url = url
    return httpserver


def resource_with_image(url, **fields):
    return LearningResourceFactory(image_url=url, image_alt="A red panel", **fields)


def test_an_image_is_stored_once_with_renditions_and_pages_show_it_from_this_site(client, server):
    server.expect_request("/a.png").respond_with_data(image_bytes(), content_type="image/png", headers={"ETag": '"v1"'})
    url = server.local_url("/a.png")
    resource = resource_with_image(url)

    assert fetch_resource_image(resource.pk) == "stored"
    resource.refresh_from_db()
    image = resource.stored_image
    assert image is not None and resource.image_fetch_status == "stored" and resource.image_fetch_error == ""
    assert resource.image_fetched_url == url and resource.image_fetched_etag == '"v1"'
    assert image.collection.name == COLLECTION_NAME
    assert (image.width, image.height) == (1000, 600)
    assert image.alt_text == "A red panel"
    # Every rendition the templates use was made with the image, not on a learner's first view.
    assert set(image.renditions.values_list("filter_spec", flat=True)) == set(all_specs())

    # Fetched once: the same URL is not fetched again.
    assert fetch_resource_image(resource.pk) == "unchanged"
    assert len(server.log) == 1

    for path in ("/catalog/", resource.get_absolute_url()):
        html = client.get(path).content.decode()
        assert "localhost:" not in html, f"{path} links the remote image"
        tag = re.search(r'<img[^>]*class="resource[^"]*__image"[^>]*>', html).group(0)
        srcset = re.search(r'srcset="([^"]+)"', tag).group(1)
        entries = [entry.strip().split(" ") for entry in srcset.split(",")]
        assert len(entries) >= 2
        for src, width in entries:
            assert src.startswith("/media/images/") and re.fullmatch(r"\d+w", width)
        assert 'sizes="' in tag and re.search(r'src="/media/images/[^"]+"', tag)


def test_the_detail_variant_offers_every_width_and_the_alt_text(client, server):
    server.expect_request("/wide.jpg").respond_with_data(image_bytes("JPEG", (1600, 900)), content_type="image/jpeg")
    resource = resource_with_image(server.local_url("/wide.jpg"))
    assert fetch_resource_image(resource.pk) == "stored"
    html = client.get(resource.get_absolute_url()).content.decode()
    tag = re.search(r'<img[^>]*class="resource__image"[^>]*>', html).group(0)
    widths = sorted(int(w) for w in re.findall(r" (\d+)w", tag))
    assert widths == sorted(VARIANTS["detail"].widths)
    assert 'alt="A red panel"' in tag and 'width="640" height="360"' in tag


def test_a_non_allow_listed_private_address_is_refused_without_a_request(settings, server):
    settings.IMPORTER_ALLOWED_HOSTS = []  # the local server is no longer trusted
    server.expect_request("/a.png").respond_with_data(image_bytes(), content_type="image/png")
    resource = resource_with_image(server.url_for("/a.png"))
    other = resource_with_image("http://10.20.30.40/a.png")

    assert fetch_resource_image(resource.pk) == "failed"
    assert fetch_resource_image(other.pk) == "failed"
    assert len(server.log) == 0
    for row in (resource, other):
        row.refresh_from_db()
        assert row.stored_image is None and row.image_fetch_status == "failed"
        assert "refused" in row.image_fetch_error and "non-public address" in row.image_fetch_error


def slow(request):
    time.sleep(1.0)
    return Response(image_bytes(), content_type="image/png")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("too-large", "exceeds the limit of 20,000 bytes"),
        ("text", "not an image (served as text/plain"),
        ("html-as-png", "not an image (served as image/png"),
        ("svg", "not an image"),
        ("truncated", "unreadable image"),
        ("too-many-pixels", "exceeds the limit of 1,000,000 pixels"),
        ("bmp", "BMP images are not accepted"),
        ("404", "HTTP 404"),
        ("timeout", "timed out"),
    ],
)
def test_a_failed_fetch_keeps_a_placeholder_and_records_why(client, settings, server, case, expected):
    settings.RESOURCE_IMAGE_MAX_BYTES = 20_000
    settings.RESOURCE_IMAGE_MAX_PIXELS = 1_000_000
    settings.RESOURCE_IMAGE_TIMEOUT = 0.3
    png = image_bytes(size=(300, 200))
    responses = {
        "too-large": (image_bytes(size=(2000, 2000), colour=None) + b"\0" * 30_000, "image/png"),
        "text": (b"hello, not an image", "text/plain"),
        "html-as-png": (b"<!doctype html><html><body>Access denied</body></html>", "image/png"),
        "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>', "image/svg+xml"),
        "truncated": (png[: len(png) // 2], "image/png"),
        "bmp": (image_bytes("BMP", (20, 20)), "image/bmp"),
    }
    path = f"/{case}.png"
    if case == "404":
        server.expect_request(path).respond_with_data("gone", status=404)
    elif case == "timeout":
        server.expect_request(path).respond_with_handler(slow)
    elif case == "too-many-pixels":
        server.expect_request(path).respond_with_data(image_bytes(size=(2000, 1000)), content_type="image/png")
    else:
        body, content_type = responses[case]
        server.expect_request(path).respond_with_data(body, content_type=content_type)
    url = server.local_url(path)
    resource = resource_with_image(url, title=f"Kept title {case}")
    before = LearningResource.objects.values().get(pk=resource.pk)

    assert fetch_resource_image(resource.pk) == "failed"
    if case == "timeout":
        time.sleep(2.2)  # let the server finish the slow answers, so that they are logged in this test
    resource.refresh_from_db()
    assert resource.stored_image is None and resource.image_fetch_status == "failed"
    assert expected in resource.image_fetch_error, resource.image_fetch_error
    assert resource.image_fetched_url == url
    # Nothing else about the resource changed, and no image was stored.
    after = LearningResource.objects.values().get(pk=resource.pk)
    image_fields = {k for k in after if k.startswith("image_fetch")}
    assert {k: v for k, v in after.items() if k not in image_fields} == {
        k: v for k, v in before.items() if k not in image_fields
    }
    assert not get_image_model().objects.exists()

    html = client.get(resource.get_absolute_url()).content.decode()
    assert url not in html and "localhost:" not in html
    assert re.search(r'<img src="/static/img/resource-placeholder\.svg"[^>]*data-image-status="failed"', html)
    # Not fetched again until the URL changes (or a retry is asked for).
    requests = len(server.log)
    assert fetch_resource_image(resource.pk) == "unchanged"
    assert len(server.log) == requests
    assert resource.pk in needing_fetch(retry_failed=True).values_list("pk", flat=True)
    assert resource.pk not in needing_fetch().values_list("pk", flat=True)


def test_check_image_trusts_the_bytes_not_the_name():
    fmt, width, height = check_image(image_bytes("WEBP", (40, 30)), "application/octet-stream")
    assert (fmt, width, height) == ("WEBP", 40, 30)
    with pytest.raises(ImageRejected, match="empty response"):
        check_image(b"", "image/png")


def test_a_changed_url_is_fetched_again_and_the_old_image_removed(server):
    server.expect_request("/one.png").respond_with_data(image_bytes(colour=(1, 2, 3)), content_type="image/png")
    server.expect_request("/two.png").respond_with_data(image_bytes(size=(800, 450)), content_type="image/png")
    resource = resource_with_image(server.local_url("/one.png"))
    assert fetch_resource_image(resource.pk) == "stored"
    resource.refresh_from_db()
    first_id = resource.stored_image_id

    LearningResource.objects.filter(pk=resource.pk).update(image_url=server.local_url("/two.png"))
    assert list(needing_fetch().values_list("pk", flat=True)) == [resource.pk]
    assert fetch_resource_image(resource.pk) == "stored"
    resource.refresh_from_db()
    assert resource.stored_image_id != first_id and resource.stored_image.width == 800
    assert resource.image_fetched_url == server.local_url("/two.png")
    assert not get_image_model().objects.filter(pk=first_id).exists()
    assert [entry[0].path for entry in server.log] == ["/one.png", "/two.png"]

    # The URL emptied: the stored image goes, and the page shows nothing.
    LearningResource.objects.filter(pk=resource.pk).update(image_url="")
    assert fetch_resource_image(resource.pk) == "cleared"
    resource.refresh_from_db()
    assert resource.stored_image is None and resource.image_fetch_status == ""
    assert not get_image_model().objects.exists()


def test_a_changed_url_that_fails_shows_the_placeholder_not_the_old_image(server):
    server.expect_request("/one.png").respond_with_data(image_bytes(), content_type="image/png")
    server.expect_request("/two.png").respond_with_data("nope", status=404)
    resource = resource_with_image(server.local_url("/one.png"))
    fetch_resource_image(resource.pk)
    LearningResource.objects.filter(pk=resource.pk).update(image_url=server.local_url("/two.png"))
    assert fetch_resource_image(resource.pk) == "failed"
    resource.refresh_from_db()
    assert resource.stored_image is None and "HTTP 404" in resource.image_fetch_error
    assert not get_image_model().objects.exists()


def test_a_refresh_is_conditional_and_a_failed_refresh_keeps_the_image(server):
    server.expect_ordered_request("/a.png").respond_with_data(
        image_bytes(), content_type="image/png", headers={"ETag": '"abc"'}
    )
    server.expect_ordered_request("/a.png", headers={"If-None-Match": '"abc"'}).respond_with_data("", status=304)
    server.expect_ordered_request("/a.png").respond_with_data("down", status=404)
    resource = resource_with_image(server.local_url("/a.png"))
    assert fetch_resource_image(resource.pk) == "stored"
    resource.refresh_from_db()
    image_id = resource.stored_image_id

    assert fetch_resource_image(resource.pk, refresh=True) == "not-modified"
    assert fetch_resource_image(resource.pk, refresh=True) == "failed"
    resource.refresh_from_db()
    assert resource.stored_image_id == image_id and resource.image_fetch_status == "stored"
    assert "HTTP 404" in resource.image_fetch_error
    server.check_assertions()


def test_an_editors_image_wins_and_no_image_renders_nothing(client, server):
    server.expect_request("/a.png").respond_with_data(image_bytes(), content_type="image/png")
    plain = LearningResourceFactory(title="No image at all")
    html = client.get(plain.get_absolute_url()).content.decode()
    assert "resource__image" not in html and "resource-placeholder" not in html

    chosen = resource_with_image(server.local_url("/a.png"))
    fetch_resource_image(chosen.pk)
    chosen.refresh_from_db()
    editor_image = get_image_model().objects.create(
        title="Editor's", file=chosen.stored_image.file.name, width=1000, height=600
    )
    LearningResource.objects.filter(pk=chosen.pk).update(image=editor_image)
    html = client.get(chosen.get_absolute_url()).content.decode()
    tag = re.search(r'<img[^>]*class="resource__image"[^>]*>', html).group(0)
    rendition_ids = {r.url for r in editor_image.get_renditions(*VARIANTS["detail"].specs()).values()}
    assert any(url in tag for url in rendition_ids)


def test_a_stored_image_whose_file_is_gone_shows_the_placeholder(client, server):
    server.expect_request("/a.png").respond_with_data(image_bytes(), content_type="image/png")
    resource = resource_with_image(server.local_url("/a.png"))
    fetch_resource_image(resource.pk)
    resource.refresh_from_db()
    image = resource.stored_image
    image.renditions.all().delete()
    image.file.storage.delete(image.file.name)
    response = client.get(resource.get_absolute_url())
    assert response.status_code == 200
    assert re.search(r'<img src="/static/img/resource-placeholder\.svg"', response.content.decode())


def test_the_api_gives_the_stored_image_and_keeps_the_source_url(client, server):
    server.expect_request("/a.png").respond_with_data(image_bytes(), content_type="image/png")
    url = server.local_url("/a.png")
    stored = resource_with_image(url, title="Stored image")
    pending = resource_with_image("https://images.example.org/pending.png", title="Pending image")
    fetch_resource_image(stored.pk)

    data = {row["id"]: row for row in client.get("/api/v1/resources/").json()["results"]}
    assert data[stored.pk]["image"]["url"].startswith("http://testserver/media/original_images/resource-")
    assert data[stored.pk]["image"]["alt"] == "A red panel"
    assert data[stored.pk]["source_image_url"] == url
    assert data[pending.pk]["image"] is None
    assert data[pending.pk]["source_image_url"] == "https://images.example.org/pending.png"


def test_a_load_queues_the_fetch_of_new_and_changed_images(settings, server, django_capture_on_commit_callbacks):
    settings.RESOURCE_IMAGE_FETCH_AFTER_LOAD = True  # tests run django-q2 tasks inline (Q_CLUSTER sync)
    server.expect_request("/a.png").respond_with_data(image_bytes(), content_type="image/png")
    server.expect_request("/b.png").respond_with_data(image_bytes(size=(640, 360)), content_type="image/png")
    record = {
        "resource_type": "course",
        "source_id": "img-1",
        "title": "A course with an image",
        "url": "https://learn.example.edu/img-1",
        "image_url": server.local_url("/a.png"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        load_resources("images-test", [record])
    resource = LearningResource.objects.get(source="images-test")
    assert resource.image_fetch_status == "stored" and resource.stored_image.width == 1000

    # An unchanged re-import fetches nothing; a changed image URL is fetched.
    with django_capture_on_commit_callbacks(execute=True):
        load_resources("images-test", [record], force=True)
    assert len(server.log) == 1
    with django_capture_on_commit_callbacks(execute=True):
        load_resources("images-test", [{**record, "image_url": server.local_url("/b.png")}])
    resource.refresh_from_db()
    assert resource.stored_image.width == 640 and len(server.log) == 2


def test_loads_fetch_nothing_when_turned_off(settings, server, django_capture_on_commit_callbacks):
    settings.RESOURCE_IMAGE_FETCH_AFTER_LOAD = False
    record = {"resource_type": "course", "source_id": "x", "title": "X", "image_url": server.local_url("/a.png")}
    with django_capture_on_commit_callbacks(execute=True):
        load_resources("images-test", [record])
    assert len(server.log) == 0
    assert LearningResource.objects.get(source="images-test").image_fetch_status == ""


def test_backfill_command_reports_progress_and_failures(server):
    server.expect_request("/a.png").respond_with_data(image_bytes(), content_type="image/png")
    server.expect_request("/b.png").respond_with_data(image_bytes("JPEG"), content_type="image/jpeg")
    server.expect_request("/c.png").respond_with_data("<html>", content_type="text/html")
    ids = [resource_with_image(server.local_url(f"/{name}.png")).pk for name in "abc"]
    LearningResourceFactory()  # no image: nothing to do

    out = io.StringIO()
    call_command("fetch_resource_images", stdout=out)
    text = out.getvalue()
    assert "Fetching 3 resource image(s)" in text
    assert "3/3: failed 1, stored 2" in text
    assert "1 image(s) failed" in text
    statuses = dict(LearningResource.objects.filter(pk__in=ids).values_list("pk", "image_fetch_status"))
    assert sorted(statuses.values()) == ["failed", "stored", "stored"]

    out = io.StringIO()
    call_command("fetch_resource_images", stdout=out)
    assert "No resource images to fetch." in out.getvalue()


def test_the_inspect_view_shows_why_an_image_failed(client, django_user_model, server):
    client.force_login(django_user_model.objects.create_superuser("editor", "editor@example.org", "pw"))
    server.expect_request("/a.png").respond_with_data("nope", status=404)
    resource = resource_with_image(server.local_url("/a.png"))
    fetch_resource_image(resource.pk)
    html = client.get(f"/admin/catalogue/resources/inspect/{resource.pk}/").content.decode()
    assert "Fetch failed (placeholder shown)" in html and "HTTP 404" in html


def test_demo_records_need_no_internet_for_images():
    records = list(generate_records(300))
    assert records and not [r["source_id"] for r in records if r.get("image_url")]

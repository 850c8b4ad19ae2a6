"""POST /api/v1/webhooks/import/<source>/: HMAC-signed, 5-minute window, no replays."""

import json
import time

import pytest

from catalog.models import LearningResource
from importers.models import ImportRun, StoredSnapshot
from importers.webhooks import sign

from .fakes import FAKE, course, courses_json

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def secrets(settings, fake_source):
    settings.IMPORT_WEBHOOK_SECRETS = {FAKE: SECRET}


def post(client, body: bytes = b"", *, source=FAKE, timestamp=None, secret=SECRET, signature=None, **extra):
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "HTTP_X_LEARNHUB_TIMESTAMP": str(timestamp),
        "HTTP_X_LEARNHUB_SIGNATURE": signature if signature is not None else "sha256=" + sign(secret, timestamp, body),
    }
    headers.update(extra)
    return client.post(f"/api/v1/webhooks/import/{source}/", data=body, content_type="application/json", **headers)


def test_signed_body_is_imported(client, configure):
    response = post(client, courses_json([course(1), course(2)]))
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["status"] == "queued" and data["source"] == FAKE and data["snapshot_id"]
    run = ImportRun.objects.get(source=FAKE)  # tests run tasks inline
    assert run.trigger == ImportRun.Trigger.WEBHOOK and run.status == ImportRun.Status.SUCCEEDED
    assert run.snapshot.origin == StoredSnapshot.Origin.UPLOAD
    assert LearningResource.objects.filter(source=FAKE).count() == 2


def test_empty_body_fetches_the_source(client, configure):
    configure(courses=[course(5)])
    assert post(client).status_code == 202
    run = ImportRun.objects.get(source=FAKE)
    assert run.created == 1 and run.snapshot.origin == StoredSnapshot.Origin.EXTRACT


def test_snapshot_by_url(client, configure, allow_local_http, httpserver):
    httpserver.expect_request("/export/courses.json").respond_with_data(
        courses_json([course(9)]), content_type="application/json"
    )
    body = json.dumps({"snapshot_url": httpserver.url_for("/export/courses.json")}).encode()
    assert post(client, body).status_code == 202
    run = ImportRun.objects.get(source=FAKE)
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert run.snapshot.origin == StoredSnapshot.Origin.URL and run.created == 1


def test_snapshot_url_to_a_private_address_is_refused(client, settings):
    settings.IMPORTER_ALLOWED_HOSTS = []
    body = json.dumps({"snapshot_url": "http://169.254.169.254/latest/meta-data/"}).encode()
    response = post(client, body)
    assert response.status_code == 400 and "non-public address" in response.json()["detail"]
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"secret": "wrong"}, "does not match"),
        ({"signature": ""}, "missing"),
        ({"timestamp_offset": -301}, "window"),
        ({"timestamp_offset": 600}, "window"),
        ({"timestamp": "yesterday"}, "Unix seconds"),
    ],
)
def test_bad_signatures_are_refused(client, kwargs, reason):
    if "timestamp_offset" in kwargs:  # computed now, not when the suite was collected minutes ago
        kwargs = {"timestamp": int(time.time()) + kwargs["timestamp_offset"]}
    if kwargs.get("timestamp") == "yesterday":
        response = post(client, b"", timestamp="yesterday", signature="sha256=00")
    else:
        response = post(client, courses_json([course(1)]), **kwargs)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert not ImportRun.objects.exists()


def test_missing_headers_are_refused(client):
    response = client.post(f"/api/v1/webhooks/import/{FAKE}/", data=b"", content_type="application/json")
    assert response.status_code == 401 and "missing" in response.json()["detail"]


def test_replayed_signature_is_refused(client, configure):
    timestamp = int(time.time())
    body = courses_json([course(1)])
    assert post(client, body, timestamp=timestamp).status_code == 202
    again = post(client, body, timestamp=timestamp)
    assert again.status_code == 401 and "already used" in again.json()["detail"]
    assert ImportRun.objects.count() == 1


def test_body_tampering_is_refused(client):
    timestamp = int(time.time())
    signature = "sha256=" + sign(SECRET, timestamp, courses_json([course(1)]))
    response = post(client, courses_json([course(2)]), timestamp=timestamp, signature=signature)
    assert response.status_code == 401


def test_source_without_secret_is_refused(client, settings):
    settings.IMPORT_WEBHOOK_SECRETS = {}
    response = post(client, b"")
    assert response.status_code == 401 and "IMPORT_WEBHOOK_SECRETS" in response.json()["detail"]


def test_unknown_source_is_404(client):
    response = post(client, b"", source="no-such-source")
    assert response.status_code == 404


def test_webhook_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/webhooks/import/{source}/"]["post"]
    assert set(operation["responses"]) >= {"202", "401", "404"}
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Learnhub-Timestamp", "X-Learnhub-Signature"}


def test_webhook_secrets_setting_forms():
    from cms.settings.base import SettingError, _webhook_secrets

    assert _webhook_secrets("") == {}
    assert _webhook_secrets("ocw=abc, mitxonline = d=ef") == {"ocw": "abc", "mitxonline": "d=ef"}
    assert _webhook_secrets('{"ocw": "abc"}') == {"ocw": "abc"}
    with pytest.raises(SettingError, match="must look like source=secret"):
        _webhook_secrets("ocw")
    with pytest.raises(SettingError, match="not valid JSON"):
        _webhook_secrets("{ocw")


def test_a_delivery_while_the_source_is_locked_waits_and_is_imported_after(client, configure):
    """A 202 is a promise: the delivery is kept while another run holds the source, then imported."""
    from importers import recovery
    from importers.locks import acquire_lock, release_lock

    holder = ImportRun.objects.create(source=FAKE)
    lock = acquire_lock(FAKE, holder)
    response = post(client, courses_json([course(3)]))
    assert response.status_code == 202
    waiting = ImportRun.objects.get(source=FAKE, trigger=ImportRun.Trigger.WEBHOOK)
    assert waiting.status == ImportRun.Status.WAITING and f"run #{holder.pk}" in waiting.message
    assert not LearningResource.objects.filter(source=FAKE).exists()
    release_lock(lock)
    recovery.sweep()
    waiting.refresh_from_db()
    assert waiting.status == ImportRun.Status.SUCCEEDED and waiting.created == 1
    assert LearningResource.objects.filter(source=FAKE, source_id="C00003").exists()

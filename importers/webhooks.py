"""Signed import webhooks: POST /api/v1/webhooks/import/<source>/.

The sender signs `f"{timestamp}.{body}"` with HMAC-SHA256 and the source's secret
(settings.IMPORT_WEBHOOK_SECRETS) and sends the Unix timestamp in X-Learnhub-Timestamp and the hex digest
(optionally prefixed "sha256=") in X-Learnhub-Signature. Requests older or newer than five minutes, with a
bad signature or with a signature already used are refused (401).

The body, optional, says what to import:
- empty: the source is fetched as usual (extract);
- a JSON object {"snapshot_url": "https://...", "document_name": "..."}: the snapshot is fetched from that
  URL (SSRF-guarded) by the task;
- anything else: the body is the snapshot document itself (its name from ?document=, else the source's
  default document name; its type from Content-Type).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import ImporterError, UnsafeURLError
from .models import ImportRun, StoredSnapshot, WebhookDelivery
from .registry import get_source_class, is_registered
from .snapshots import SnapshotStore
from .tasks import enqueue_import
from .transports.http import check_url

TIMESTAMP_HEADER = "X-Learnhub-Timestamp"
SIGNATURE_HEADER = "X-Learnhub-Signature"
WINDOW_SECONDS = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of f"{timestamp}.{body}" — what a sender puts in X-Learnhub-Signature."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class SignatureError(Exception):
    pass


def verify(source: str, timestamp: str | None, signature: str | None, body: bytes, *, now: float | None = None) -> str:
    """Check a delivery; return the normalised signature or raise SignatureError saying what is wrong."""
    secret = settings.IMPORT_WEBHOOK_SECRETS.get(source)
    if not secret:
        raise SignatureError(f"webhooks are not enabled for {source}: no secret in IMPORT_WEBHOOK_SECRETS")
    if not timestamp or not signature:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > WINDOW_SECONDS:
        raise SignatureError(f"{TIMESTAMP_HEADER} is outside the {WINDOW_SECONDS // 60}-minute window")
    signature = signature.strip().lower().removeprefix("sha256=")
    if not hmac.compare_digest(signature, sign(secret, timestamp, body)):
        raise SignatureError("signature does not match")
    return signature


def remember(signature: str, source: str) -> None:
    """Record a signature; SignatureError when it was seen before (a replay). Old ones are forgotten."""
    now = timezone.now()
    WebhookDelivery.objects.filter(received_at__lt=now - timedelta(seconds=2 * WINDOW_SECONDS)).delete()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(signature=signature, source=source, received_at=now)
    except IntegrityError:
        raise SignatureError("this signature was already used (replayed request)") from None


class RawBodyParser(BaseParser):
    """Accept any content type; the view reads the raw body itself."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream else b""


def _url_request(body: bytes) -> dict | None:
    if not body.lstrip().startswith(b"{") or len(body) > 10_000:
        return None
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("snapshot_url"), str)
        and set(payload) <= {"snapshot_url", "document_name"}
    ):
        return payload
    return None


_accepted = inline_serializer(
    "ImportWebhookAccepted",
    {
        "status": serializers.CharField(),
        "source": serializers.CharField(),
        "task_id": serializers.CharField(),
        "snapshot_id": serializers.IntegerField(allow_null=True),
    },
)
_error = inline_serializer("ImportWebhookError", {"detail": serializers.CharField()})


class ImportWebhookView(APIView):
    """Queue an import of one source, signed by the sender (see the module docstring)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]
    # Per sending address, before the signature is checked (cms.accounts.throttling: API_THROTTLE_WEBHOOK).
    throttle_scope = "webhook"

    @extend_schema(
        operation_id="import_webhook",
        summary="Trigger an import of a source (signed webhook)",
        description=(
            "HMAC-SHA256 over `{timestamp}.{body}` with the source's secret, hex in `X-Learnhub-Signature`, Unix "
            "seconds in `X-Learnhub-Timestamp` (5-minute window; a signature is accepted once). Body: empty (fetch "
            'the source), `{"snapshot_url": "https://..."}` (fetch the snapshot from a URL) or the snapshot '
            "document itself."
        ),
        request={"*/*": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("document", str, OpenApiParameter.QUERY, description="Name of an uploaded document."),
        ],
        responses={202: _accepted, 400: _error, 401: _error, 404: _error, 429: _error},
        examples=[OpenApiExample("URL", value={"snapshot_url": "https://example.org/courses.json"}, request_only=True)],
        tags=["imports"],
    )
    def post(self, request, source: str):
        body = request.body
        if not is_registered(source):
            return Response({"detail": f"unknown import source {source!r}"}, status=status.HTTP_404_NOT_FOUND)
        try:
            signature = verify(
                source, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body
            )
            remember(signature, source)
        except SignatureError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_401_UNAUTHORIZED)

        options: dict = {"trigger": ImportRun.Trigger.WEBHOOK}
        snapshot_id = None
        url_request = _url_request(body)
        try:
            if url_request:
                check_url(url_request["snapshot_url"])
                options["url"] = url_request["snapshot_url"]
                if url_request.get("document_name"):
                    options["document_name"] = url_request["document_name"]
            elif body:
                source_obj = get_source_class(source)()
                documents = source_obj.documents_from_bytes(
                    body,
                    name=request.query_params.get("document", ""),
                    content_type=(request.content_type or "").split(";")[0],
                    metadata={"received_at": timezone.now().isoformat(), "via": "webhook"},
                )
                stored, _ = SnapshotStore().store(source, documents, origin=StoredSnapshot.Origin.UPLOAD)
                snapshot_id = options["snapshot_id"] = stored.pk
        except UnsafeURLError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        except ImporterError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        task_id = enqueue_import(source, **options)
        return Response(
            {"status": "queued", "source": source, "task_id": str(task_id), "snapshot_id": snapshot_id},
            status=status.HTTP_202_ACCEPTED,
        )

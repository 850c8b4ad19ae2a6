"""S3 transport: list and read objects as snapshot documents (boto3; any S3-compatible endpoint)."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ImportFetchError
from ..sources.base import SnapshotDocument
from .local import guess_content_type


class S3Reader:
    """Read one bucket. Credentials, region and endpoint default to the AWS_* settings."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        client=None,
    ):
        if not bucket:
            raise ImportFetchError("no S3 bucket configured")
        self.bucket = bucket
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or settings.AWS_S3_ENDPOINT_URL,
            region_name=region_name or settings.AWS_S3_REGION_NAME or "us-east-1",
            aws_access_key_id=access_key or settings.AWS_ACCESS_KEY_ID,
            aws_secret_access_key=secret_key or settings.AWS_SECRET_ACCESS_KEY,
            config=Config(
                retries={"max_attempts": settings.IMPORTER_HTTP_RETRIES + 1, "mode": "standard"},
                connect_timeout=settings.IMPORTER_HTTP_TIMEOUT,
                read_timeout=settings.IMPORTER_HTTP_TIMEOUT,
            ),
        )

    def _where(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key}"

    def list(self, prefix: str = "", suffix: str = "") -> Iterator[dict]:
        """Objects under `prefix` (and ending with `suffix`): dicts with Key, Size, ETag, LastModified."""
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/") or not item["Key"].endswith(suffix):
                        continue
                    yield item
        except (BotoCoreError, ClientError) as exc:
            raise ImportFetchError(f"cannot list {self._where(prefix)}: {exc}") from None

    def read(self, key: str, name: str | None = None) -> SnapshotDocument:
        """One object as a document named `name` (default: its key)."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            size = response.get("ContentLength") or 0
            if size > settings.IMPORTER_MAX_DOCUMENT_BYTES:
                raise ImportFetchError(
                    f"{self._where(key)} is {size:,} bytes, over the limit of {settings.IMPORTER_MAX_DOCUMENT_BYTES:,}"
                )
            content = response["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ImportFetchError(f"cannot read {self._where(key)}: {code or exc}") from None
        except BotoCoreError as exc:
            raise ImportFetchError(f"cannot read {self._where(key)}: {exc}") from None
        last_modified = response.get("LastModified")
        return SnapshotDocument(
            name=name or key,
            content=content,
            content_type=guess_content_type(key),
            metadata={
                "url": self._where(key),
                "etag": response.get("ETag", ""),
                "last_modified": last_modified.isoformat() if last_modified else "",
            },
        )

    def read_documents(
        self, prefix: str = "", suffix: str = "", *, relative: bool = True
    ) -> Iterator[SnapshotDocument]:
        """Every object under `prefix` as a document, named relative to the prefix (or by full key)."""
        found = False
        for item in self.list(prefix, suffix):
            found = True
            key = item["Key"]
            name = key[len(prefix) :].lstrip("/") if relative and prefix else key
            yield self.read(key, name=name or key)
        if not found:
            raise ImportFetchError(
                f"no objects under {self._where(prefix)}" + (f" ending {suffix!r}" if suffix else "")
            )

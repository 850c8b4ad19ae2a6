"""The record a news source yields for one feed item, validated by news.loader.load_feed_items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from catalog.schemas import in_utc, limit_size, strip_control_chars

from .models import FeedItem, ItemType


def _max(field: str) -> int:
    return FeedItem._meta.get_field(field).max_length


class FeedItemRecord(BaseModel):
    """One news item or event. `guid` defaults to `link`; naive dates are taken as UTC and stored in UTC."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    guid: str = Field(default="", max_length=_max("guid"))
    item_type: ItemType = ItemType.NEWS
    title: str = Field(min_length=1, max_length=_max("title"))
    summary: str = ""
    content: str = ""
    link: str = Field(default="", max_length=_max("link"))
    author: str = Field(default="", max_length=_max("author"))
    published_at: datetime | None = None
    date_estimated: bool = False
    image_url: str = Field(default="", max_length=_max("image_url"))
    image_alt: str = Field(default="", max_length=_max("image_alt"))
    topics: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str = Field(default="", max_length=_max("location"))
    online: bool = False
    registration_url: str = Field(default="", max_length=_max("registration_url"))

    @model_validator(mode="before")
    @classmethod
    def _without_control_chars(cls, data: Any):
        # As in the catalogue: C0 control characters (NUL included) are removed from every string.
        return strip_control_chars(data)

    @field_validator("title", "summary", "content", "topics", "categories", mode="before")
    @classmethod
    def _within_size_limit(cls, value, info):
        return limit_size(info.field_name, value)

    @field_validator("link", "image_url", "registration_url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError(f"must be an absolute http(s) URL, got {value[:80]!r}")
        return value

    @field_validator("published_at", "starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return in_utc(value)

    @model_validator(mode="after")
    def _identity(self):
        if not self.guid:
            if not self.link:
                raise ValueError("an item needs a guid or a link")
            self.guid = self.link
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


def validate_item(data) -> tuple[FeedItemRecord | None, list[dict]]:
    """(record, []) or (None, errors) where each error is {source_id, field, message}."""
    if isinstance(data, FeedItemRecord):
        return data, []
    source_id = ""
    if isinstance(data, dict):
        source_id = str(data.get("guid") or data.get("link") or data.get("title") or "")[:200]
    else:
        return None, [{"source_id": "", "field": "", "message": f"expected a dict, got {type(data).__name__}"}]
    try:
        return FeedItemRecord.model_validate(data), []
    except ValidationError as exc:
        return None, [
            {
                "source_id": source_id,
                "field": ".".join(str(part) for part in error["loc"]) or "record",
                "message": error["msg"].removeprefix("Value error, "),
            }
            for error in exc.errors()
        ]

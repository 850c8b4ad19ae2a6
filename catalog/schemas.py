"""Record schemas: what importer sources produce and the catalogue loader accepts.

Sources yield `ResourceRecord` models or plain dicts in the same shape. The loader validates every record itself
(`validate_record`) so that one bad record is reported with its source id and field while the others load.
Limits mirror the model's columns: an over-long string is an error, never silently truncated. Text without a
column limit is bounded by the IMPORT_MAX_*_CHARS settings (`limit_size`), and C0 control characters (NUL
included; tab, newline and carriage return kept) are removed from every string of a record before it is hashed,
validated or written (`strip_control_chars`), so both databases store the same text.
"""

import datetime as dt
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.utils.text import slugify

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from catalog.models import (
    Availability,
    CertificationType,
    Delivery,
    Format,
    Level,
    Pace,
    RelationType,
    ResourceType,
)

# ISO 4217 active currency codes (2026). A code outside this list is reported as an error.
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF
    CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF
    GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
    LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP
    PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP
    TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())

# The relation a parent's `children` become, by the parent's type, and the child type assumed when a ref has none.
# Plain strings (not enum members) so that lookups by a record's string values hash alike.
CHILD_RELATIONS: dict[str, tuple[str, str | None]] = {
    ResourceType.PROGRAM.value: (RelationType.PROGRAM_COURSES.value, ResourceType.COURSE.value),
    ResourceType.LEARNING_PATH.value: (RelationType.LEARNING_PATH_ITEMS.value, None),
    ResourceType.PODCAST.value: (RelationType.PODCAST_EPISODES.value, ResourceType.PODCAST_EPISODE.value),
    ResourceType.VIDEO_PLAYLIST.value: (RelationType.PLAYLIST_VIDEOS.value, ResourceType.VIDEO.value),
}


# --- Bad input stopped at the door ------------------------------------------------------------------------------

# C0 control characters except tab, newline and carriage return. PostgreSQL refuses NUL in text, SQLite stores it;
# none of them belongs in a title or a page, so they are removed on both.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def strip_control_chars(value: Any) -> Any:
    """`value` with C0 control characters removed from every string in it (dict keys and values, lists, nested).

    Returns `value` itself when it holds none (the usual case costs one regex scan per string)."""
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value) if _CONTROL_CHARS.search(value) else value
    if isinstance(value, dict):
        changed = False
        cleaned = {}
        for key, item in value.items():
            new_key, new_item = strip_control_chars(key), strip_control_chars(item)
            changed = changed or new_key is not key or new_item is not item
            cleaned[new_key] = new_item
        return cleaned if changed else value
    if isinstance(value, list | tuple):
        cleaned = [strip_control_chars(item) for item in value]
        if any(new is not old for new, old in zip(cleaned, value, strict=True)):
            return cleaned if isinstance(value, list) else tuple(cleaned)
        return value
    return value


# Fields whose size a setting bounds (they have no column limit, or a wider one): field → setting name.
SIZE_SETTINGS = {
    "title": "IMPORT_MAX_TITLE_CHARS",
    "description": "IMPORT_MAX_DESCRIPTION_CHARS",
    "full_description": "IMPORT_MAX_DESCRIPTION_CHARS",
    "summary": "IMPORT_MAX_DESCRIPTION_CHARS",
    "content": "IMPORT_MAX_BODY_CHARS",
    "body": "IMPORT_MAX_BODY_CHARS",
    "extra": "IMPORT_MAX_OTHER_TEXT_CHARS",
    "categories": "IMPORT_MAX_OTHER_TEXT_CHARS",
    "topics": "IMPORT_MAX_OTHER_TEXT_CHARS",
}
_SIZE_DEFAULTS = {
    "IMPORT_MAX_TITLE_CHARS": 512,
    "IMPORT_MAX_DESCRIPTION_CHARS": 100_000,
    "IMPORT_MAX_BODY_CHARS": 1_000_000,
    "IMPORT_MAX_OTHER_TEXT_CHARS": 10_000,
}


def size_limit(field: str) -> int:
    """The largest size (characters) the settings allow for `field`."""
    setting = SIZE_SETTINGS[field]
    return getattr(settings, setting, _SIZE_DEFAULTS[setting])


def _size_of(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_size_of(key) + _size_of(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return sum(_size_of(item) for item in value)
    return len(str(value)) if value is not None else 0


def limit_size(field: str, value: Any) -> Any:
    """`value` unchanged when it fits `field`'s limit; ValueError naming the size, limit and setting when not.

    Lists and dicts are measured by the characters of all their strings."""
    limit = size_limit(field)
    size = _size_of(value)
    if size > limit:
        raise ValueError(f"is {size:,} characters long, over the limit of {limit:,} ({SIZE_SETTINGS[field]})")
    return value


# --- Field types -------------------------------------------------------------------------------------------------


def _none_to_empty(value):
    return "" if value is None else value


def _none_to_list(value):
    return [] if value is None else value


def _id_to_str(value):
    # Numeric ids are common in APIs; they are ids, not numbers.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def Text(max_length: int | None = None):
    """A stripped string (None → "") of at most `max_length` characters."""
    return Annotated[
        str, BeforeValidator(_none_to_empty), StringConstraints(strip_whitespace=True, max_length=max_length)
    ]


def RequiredText(max_length: int):
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)]


def _check_url(value: str) -> str:
    if not value:
        return value
    if value.startswith("//"):
        value = "https:" + value
    if not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE) or any(c.isspace() for c in value):
        raise ValueError("must be an absolute http(s) URL")
    return value


Url = Annotated[str, BeforeValidator(_none_to_empty), StringConstraints(strip_whitespace=True, max_length=2048)]
Url = Annotated[Url, AfterValidator(_check_url)]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    if value is not None:
        in_utc(value)
    return value


def in_utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; ValueError (a field error, not a crash) when UTC puts it outside years 1–9999."""
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"{value.isoformat()} is out of range (years 1 to 9999 in UTC)") from None


def _date_to_datetime(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if value == "":
        return None
    return value


DateTime = Annotated[dt.datetime | None, BeforeValidator(_date_to_datetime), AfterValidator(_aware)]


def _choice_table(choices, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Lower-cased values, labels and aliases of a TextChoices enum → its value."""
    table = {}
    for value, label in choices.choices:
        for key in (value, label, value.replace("_", " "), value.replace("_", "-"), value.replace("_", "")):
            table[key.lower()] = value
    for alias, value in (aliases or {}).items():
        table[alias.lower()] = value
    return table


def _choice(choices, aliases: dict[str, str] | None = None, blank: bool = True):
    """A value of a TextChoices enum, matched case-insensitively against values and labels, plus aliases."""
    table = _choice_table(choices, aliases)
    allowed = ", ".join(choices.values)

    def check(value):
        if value is None or (isinstance(value, str) and not value.strip()):
            if blank:
                return ""
            raise ValueError("is required")
        if not isinstance(value, str):
            raise ValueError(f"must be a string, one of: {allowed}")
        found = table.get(value.strip().lower())
        if found is None:
            raise ValueError(f"{value!r} is not one of: {allowed}")
        return found

    return Annotated[str, BeforeValidator(check)]


RESOURCE_TYPE_ALIASES = {
    "episode": "podcast_episode",
    "podcastepisode": "podcast_episode",
    "playlist": "video_playlist",
    "videoplaylist": "video_playlist",
    "path": "learning_path",
    "learningpath": "learning_path",
    "pdf": "document",
    "news": "article",
}
_RESOURCE_TYPES = _choice_table(ResourceType, RESOURCE_TYPE_ALIASES)
ResourceTypeValue = _choice(ResourceType, RESOURCE_TYPE_ALIASES, blank=False)
DeliveryValue = _choice(
    Delivery, {"in person": "in_person", "inperson": "in_person", "blended": "hybrid", "remote": "online"}
)
FormatValue = _choice(Format, {"async": "asynchronous", "sync": "synchronous", "live": "synchronous"})
PaceValue = _choice(
    Pace,
    {
        "self paced": "self_paced",
        "selfpaced": "self_paced",
        "instructor led": "instructor_paced",
        "instructor-led": "instructor_paced",
        "instructor paced": "instructor_paced",
        "cohort": "instructor_paced",
    },
)
LevelValue = _choice(
    Level,
    {
        "beginner": "introductory",
        "intro": "introductory",
        "high school": "high_school",
        "highschool": "high_school",
        "undergrad": "undergraduate",
        "grad": "graduate",
    },
)
AvailabilityValue = _choice(
    Availability, {"dated": "upcoming", "archive": "archived", "ongoing": "current", "current": "current"}
)
CertificationTypeValue = _choice(
    CertificationType,
    {
        "": "none",
        "no certificate": "none",
        "certificate": "completion",
        "certificate of completion": "completion",
        "professional certificate": "professional",
        "micromasters credential": "micromasters",
        "credit": "academic",
    },
)


# --- Records -----------------------------------------------------------------------------------------------------


class _Record(BaseModel):
    # Unknown keys are ignored so that sources may carry extra data; `extra` is the place for data we keep.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class LookupRef(_Record):
    """A lookup by code and name, e.g. {"code": "mitx", "name": "MITx"}. A bare string is taken as the name."""

    code: Text(64) = ""
    name: Text(200) = ""

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any):
        if isinstance(data, str):
            return {"name": data}
        return data

    @model_validator(mode="after")
    def _code_from_name(self):
        if not self.code and not self.name:
            raise ValueError("needs a code or a name")
        # Offeror and platform codes are slugs: "MIT xPRO" → "mit-xpro".
        self.code = slugify(self.code or self.name)[:64]
        if not self.code:
            raise ValueError(f"cannot make a code from {self.name!r}")
        if not self.name:
            self.name = self.code
        return self


class DepartmentRef(LookupRef):
    """A department: {"code": "6", "name": "Electrical Engineering and Computer Science"}."""

    code: Text(32) = ""

    @model_validator(mode="after")
    def _code_from_name(self):
        if not self.code and not self.name:
            raise ValueError("needs a code or a name")
        self.code = self.code or self.name[:32]
        self.name = self.name or self.code
        return self


class PriceRecord(_Record):
    amount: Annotated[
        Decimal, Field(ge=0, max_digits=10, decimal_places=2), AfterValidator(lambda v: v.quantize(Decimal("0.01")))
    ]
    currency: str = "USD"
    label: Text(128) = ""

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value):
        if value is None or value == "":
            return "USD"
        if not isinstance(value, str):
            raise ValueError("must be a 3-letter ISO 4217 code such as 'USD'")
        code = value.strip().upper()
        if code not in ISO_4217:
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. 'USD', 'EUR')")
        return code


class RunRecord(_Record):
    run_id: RequiredText(255)
    title: Text(512) = ""
    start_date: DateTime = None
    end_date: DateTime = None
    enrollment_start: DateTime = None
    enrollment_end: DateTime = None
    semester: Text(32) = ""
    year: Annotated[int | None, Field(ge=1800, le=2200)] = None
    pace: PaceValue = ""
    delivery: DeliveryValue = ""
    location: Text(255) = ""
    prices: Annotated[list[PriceRecord], BeforeValidator(_none_to_list)] = []
    instructors: Annotated[list[RequiredText(255)], BeforeValidator(_none_to_list)] = []
    enrollment_url: Url = ""
    published: bool = True


class ChildRef(_Record):
    """A child of a parent resource in the same source, in order: a program's course, a podcast's episode."""

    source_id: RequiredText(255)
    resource_type: ResourceTypeValue | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any):
        if isinstance(data, str | int):
            return {"source_id": str(data)}
        return data

    @field_validator("resource_type", mode="before")
    @classmethod
    def _blank_type(cls, value):
        return None if value in (None, "") else value

    @field_validator("source_id", mode="before")
    @classmethod
    def _int_id(cls, value):
        return _id_to_str(value)


class ResourceRecord(_Record):
    """One learning resource as a source describes it. See docs/architecture.md, "Records → loader"."""

    resource_type: ResourceTypeValue
    source_id: RequiredText(255)
    title: RequiredText(512)
    description: Text() = ""
    full_description: Text() = ""
    url: Url = ""
    image_url: Url = ""
    image_alt: Text(512) = ""
    media_url: Url = ""
    transcript_url: Url = ""
    languages: Annotated[list[RequiredText(16)], BeforeValidator(_none_to_list)] = []
    course_numbers: Annotated[list[RequiredText(64)], BeforeValidator(_none_to_list)] = []
    keywords: Annotated[list[RequiredText(128)], BeforeValidator(_none_to_list)] = []
    topics: Annotated[list[RequiredText(300)], BeforeValidator(_none_to_list)] = []
    departments: Annotated[list[DepartmentRef], BeforeValidator(_none_to_list)] = []
    offered_by: LookupRef | None = None
    platform: LookupRef | None = None
    instructors: Annotated[list[RequiredText(255)], BeforeValidator(_none_to_list)] = []
    certification: bool = False
    certification_type: CertificationTypeValue = CertificationType.NONE.value
    free: bool | None = None
    prices: Annotated[list[PriceRecord], BeforeValidator(_none_to_list)] = []
    delivery: DeliveryValue = Delivery.ONLINE.value
    format: FormatValue = ""
    pace: PaceValue = ""
    level: LevelValue = ""
    availability: AvailabilityValue = ""
    duration: Text(128) = ""
    duration_seconds: Annotated[int | None, Field(ge=0, le=2_147_483_647)] = None
    time_commitment: Text(128) = ""
    min_weekly_hours: Annotated[int | None, Field(ge=0, le=32767)] = None
    max_weekly_hours: Annotated[int | None, Field(ge=0, le=32767)] = None
    license: Text(255) = ""
    published_at: DateTime = None
    published: bool = True
    runs: Annotated[list[RunRecord], BeforeValidator(_none_to_list)] = []
    children: Annotated[list[ChildRef], BeforeValidator(_none_to_list)] = []
    extra: Annotated[dict[str, Any], BeforeValidator(lambda v: {} if v is None else v)] = {}

    @model_validator(mode="before")
    @classmethod
    def _without_control_chars(cls, data: Any):
        return strip_control_chars(data)

    @field_validator("title", "description", "full_description", "extra", mode="before")
    @classmethod
    def _within_size_limit(cls, value, info):
        return limit_size(info.field_name, value)

    @field_validator("source_id", mode="before")
    @classmethod
    def _int_ids(cls, value):
        return _id_to_str(value)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        codes = []
        for code in value:
            code = code.replace("_", "-")
            if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", code):
                raise ValueError(f"{code!r} is not an ISO 639 language code (e.g. 'en', 'pt-BR')")
            head, *rest = code.split("-")
            codes.append("-".join([head.lower(), *rest]))
        return list(dict.fromkeys(codes))

    @field_validator("topics")
    @classmethod
    def _topic_paths(cls, value: list[str]) -> list[str]:
        paths = []
        for topic in value:
            parts = [part.strip() for part in re.split(r"\s*[>›]\s*", topic)]
            if any(not part for part in parts):
                raise ValueError(f"{topic!r} has an empty part; nested topics read 'Parent > Child'")
            if len(parts) > 2:
                raise ValueError(f"{topic!r} is nested too deep; topics have at most two levels")
            if any(len(part) > 128 for part in parts):
                raise ValueError(f"{topic!r}: each topic name is at most 128 characters")
            paths.append(" > ".join(parts))
        return list(dict.fromkeys(paths))

    @field_validator("instructors", "keywords", "course_numbers")
    @classmethod
    def _dedupe(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("children")
    @classmethod
    def _dedupe_children(cls, value: list[ChildRef]) -> list[ChildRef]:
        unique: dict[tuple, ChildRef] = {}
        for child in value:
            unique.setdefault((child.resource_type, child.source_id), child)
        return list(unique.values())

    @model_validator(mode="after")
    def _consistency(self):
        if self.children and self.resource_type not in CHILD_RELATIONS:
            allowed = ", ".join(CHILD_RELATIONS)
            raise ValueError(f"children: a {self.resource_type} cannot have children (only {allowed})")
        if (
            self.min_weekly_hours is not None
            and self.max_weekly_hours is not None
            and self.min_weekly_hours > self.max_weekly_hours
        ):
            raise ValueError("min_weekly_hours is greater than max_weekly_hours")
        run_ids = [run.run_id for run in self.runs]
        if len(run_ids) != len(set(run_ids)):
            raise ValueError("runs: run_id values must be unique within a resource")
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_type, self.source_id)


# --- Validation with reportable errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordError:
    """One problem with one record: which record (source id), which field (dotted path) and what is wrong."""

    source_id: str
    field: str
    message: str
    resource_type: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"record {self.source_id or '(no id)'}: {where}{self.message}"


@dataclass(frozen=True)
class RejectedRecord:
    """A record a source found broken while making it (a ragged CSV row, an item without a field every item has).

    Sources yield it in place of the record: the loaders report its errors like those of a record that fails
    validation, keep the row it names (if any) as it is, and load its neighbours."""

    errors: tuple[RecordError, ...]

    @classmethod
    def of(cls, source_id: str, field: str, message: str, resource_type: str = "") -> "RejectedRecord":
        return cls((RecordError(str(source_id or "")[:255], field, message, resource_type),))

    @property
    def key(self) -> tuple[str, str] | None:
        """The (resource_type, source_id) of the catalogue row it stands for, when its errors name one."""
        first = self.errors[0] if self.errors else None
        if first is None:
            return None
        return record_key({"resource_type": first.resource_type, "source_id": first.source_id})


def _loc(loc: tuple) -> str:
    # Drop pydantic's internal step names (e.g. "function-after[...]") from the path.
    return ".".join(str(part) for part in loc if not (isinstance(part, str) and "[" in part))


def validate_record(data: Any) -> tuple[ResourceRecord | None, list[RecordError]]:
    """Validate one record (a dict or a ResourceRecord). Returns (record, []) or (None, [errors...])."""
    if isinstance(data, ResourceRecord):
        return data, []
    if not isinstance(data, dict):
        return None, [RecordError("", "", f"a record must be a mapping, not {type(data).__name__}")]
    raw_id = data.get("source_id")
    source_id = "" if raw_id is None else str(raw_id)[:255]
    raw_type = data.get("resource_type")
    resource_type = raw_type if isinstance(raw_type, str) else ""
    try:
        return ResourceRecord.model_validate(data), []
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            message = error["msg"].removeprefix("Value error, ")
            field = _loc(error["loc"])
            if error["type"] == "missing":
                message = "is required"
            errors.append(RecordError(source_id, field, message, resource_type))
        return None, errors


def record_key(data: Any) -> tuple[str, str] | None:
    """The (resource_type, source_id) of a possibly invalid record, read cheaply; None when they cannot be read."""
    if isinstance(data, ResourceRecord):
        return data.key
    if not isinstance(data, dict):
        return None
    resource_type, source_id = data.get("resource_type"), _id_to_str(data.get("source_id"))
    if not isinstance(resource_type, str) or not isinstance(source_id, str):
        return None
    resource_type, source_id = _RESOURCE_TYPES.get(resource_type.strip().lower()), source_id.strip()
    if not resource_type or not source_id or len(source_id) > 255:
        return None
    return (resource_type, source_id)

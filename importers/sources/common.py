"""Helpers shared by the catalogue sources: dates, prices, HTML, and mapping a source's words onto ours.

Sources yield plain dicts in the shape of `catalog.schemas.ResourceRecord`; these helpers keep the values in
that shape (ISO 8601 datetimes, prices as `{amount, currency, label}` with a decimal string amount, choices as
the catalogue's codes) so every source normalises the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from html import escape, unescape
from typing import Any
from urllib.parse import quote, urljoin

from django.utils.text import slugify

from catalog.sanitize import clean_html
from catalog.schemas import RejectedRecord, size_limit

from ..errors import TransformError
from .base import SnapshotDocument

# --- records -------------------------------------------------------------------------------------------------


def compact(values: dict) -> dict:
    """`values` without the keys whose value is None, "" or empty (so the record schema's defaults apply)."""
    return {key: value for key, value in values.items() if value is not None and value not in ("", [], {})}


def unique(values: Iterable[Any]) -> list:
    """The truthy values in first-seen order, without repeats (names of instructors, topics, ...)."""
    seen, result = set(), []
    for value in values:
        key = repr(value) if isinstance(value, dict | list) else value
        if value and key not in seen:
            seen.add(key)
            result.append(value)
    return result


def child_ref(resource_type: str, source_id: str) -> dict:
    return {"resource_type": resource_type, "source_id": source_id}


# --- reading documents ---------------------------------------------------------------------------------------


def json_items(document: SnapshotDocument, *keys: str) -> list[dict]:
    """The list of objects in a JSON document: the document itself when it is a list, else the first of `keys`
    (e.g. "results") holding a list. TransformError (saying what was found) for any other shape."""
    data = document.json()
    if isinstance(data, dict):
        for key in keys:
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            wanted = " or ".join(repr(k) for k in keys) or "a list"
            found = ", ".join(sorted(map(str, data))[:8]) or "nothing"
            raise TransformError(
                f"unexpected JSON shape: expected a list or an object with {wanted}; found keys {found}",
                document=document.name,
            )
    if not isinstance(data, list):
        raise TransformError(
            f"unexpected JSON shape: expected a list, found {type(data).__name__}", document=document.name
        )
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise TransformError(
                f"unexpected JSON shape: expected objects, found {type(item).__name__}",
                document=document.name,
                location=f"item {index}",
            )
    return data


def checked_items(
    document: SnapshotDocument, items: list, required: Iterable[str], resource_type: str = "course"
) -> Iterator[tuple[int, dict | RejectedRecord]]:
    """(index, item) for each item; an item lacking a `required` key comes as a RejectedRecord naming it, so its
    neighbours still load. TransformError when no item has them all: then the document is not this format."""
    required = tuple(required)
    if items and not any(isinstance(item, dict) and all(key in item for key in required) for item in items):
        raise TransformError(
            f"wrong schema: no item has {', '.join(repr(k) for k in required)}; is this the right source?",
            document=document.name,
        )
    for index, item in enumerate(items):
        missing = [key for key in required if not isinstance(item, dict) or key not in item]
        if missing:
            where = f"{document.name} item {index}"
            ident = item.get("id") or item.get("uuid") if isinstance(item, dict) else None
            yield (
                index,
                RejectedRecord.of(str(ident or where), missing[0], f"{where}: has no {missing[0]!r}", resource_type),
            )
            continue
        yield index, item


def require_keys(item: dict, keys: Iterable[str], document: SnapshotDocument, index: int) -> None:
    """TransformError when an item lacks keys every item of this format has (the document is not this format)."""
    missing = [key for key in keys if key not in item]
    if missing:
        raise TransformError(
            f"wrong schema: item has no {', '.join(repr(k) for k in missing)}; is this the right source?",
            document=document.name,
            location=f"item {index}",
        )


def ragged_row(row: dict) -> str:
    """Why a row of csv.DictReader has cells out of place (more cells than the header has columns, or fewer),
    or "" for a sound row. Extra cells are removed from `row` (under the key None)."""
    columns = sum(1 for key in row if key is not None)
    if None in row:
        extra = row.pop(None) or []
        return f"{columns + len(extra)} cells where the header has {columns} columns (a ragged row)"
    missing = sum(1 for value in row.values() if value is None)
    if missing:
        return f"{columns - missing} cells where the header has {columns} columns (a ragged row)"
    return ""


# --- dates ---------------------------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(value: Any) -> str | None:
    """An ISO 8601 datetime string in UTC, from an ISO string, a date, a datetime or a Unix timestamp; None when
    the value is empty or unreadable (a bad date is not worth losing the whole record)."""
    if value in (None, "", [], 0):
        return None
    if isinstance(value, list):  # Drupal feeds give one-element lists
        value = value[0]
    try:
        if isinstance(value, int | float):
            result = datetime.fromtimestamp(value, tz=UTC)
        elif isinstance(value, datetime):
            result = value
        elif isinstance(value, date):
            result = datetime(value.year, value.month, value.day, tzinfo=UTC)
        else:
            text = str(value).strip()
            if _DATE_ONLY.match(text):
                text += "T00:00:00"
            result = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, TypeError, OverflowError, OSError):
        return None
    if result.tzinfo is None:
        result = result.replace(tzinfo=UTC)
    return result.astimezone(UTC).isoformat()


def year_of(value: Any) -> int | None:
    parsed = parse_datetime(value)
    return int(parsed[:4]) if parsed else None


def semester_of(value: Any) -> str:
    """The academic term a start date falls in (Spring, Summer, Fall)."""
    parsed = parse_datetime(value)
    if not parsed:
        return ""
    month = int(parsed[5:7])
    return "Spring" if month <= 5 else "Summer" if month <= 8 else "Fall"


# --- money ---------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def parse_amount(value: Any) -> Decimal | None:
    """A price amount from 100, 99.5, "100.00", "$1,870", "USD 49.99" or "Free"; None when there is none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = str(value).strip()
        if not text:
            return None
        if text.lower() in {"free", "gratis", "no cost", "0"}:
            return Decimal("0")
        match = _NUMBER.search(text)
        if not match:
            return None
        try:
            amount = Decimal(match.group(0).replace(",", ""))
        except InvalidOperation:
            return None
    return amount if amount >= 0 else None


def price(value: Any, currency: str | None = "USD", label: str = "") -> dict | None:
    """A `{amount, currency, label}` price (amount as a two-decimal string), or None when `value` is no price."""
    amount = parse_amount(value)
    if amount is None:
        return None
    return {"amount": f"{amount:.2f}", "currency": (currency or "USD").upper(), "label": label}


# --- text and HTML -------------------------------------------------------------------------------------------

_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*)?/?>")


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def html_description(value: Any, base_url: str | None = None) -> str:
    """Sanitised HTML for a description that may be HTML or plain text (plain text becomes paragraphs)."""
    if not value:
        return ""
    text = str(value).strip()
    if len(text) > size_limit("description"):
        # Refused by the record's validation anyway (naming the field and the limit); sanitising megabytes first
        # is what made a 20 MB description cost half a gigabyte.
        return text
    if not looks_like_html(text):
        text = unescape(text)
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return clean_html(text, base_url=base_url)


def plain(value: Any) -> str:
    """Text with HTML entities decoded and whitespace collapsed ("Organizations &amp; Leadership")."""
    if value is None:
        return ""
    return " ".join(unescape(unescape(str(value))).split())


def split_values(value: Any, separators: str = "|") -> list[str]:
    """A list of cleaned values from a delimited string (or a list), empty items dropped."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [plain(item) for item in value]
    else:
        pattern = "|".join(re.escape(sep) for sep in separators)
        items = [plain(item) for item in re.split(pattern, str(value))]
    return [item for item in items if item]


def clean_url(value: Any) -> str:
    """An absolute http(s) URL with unsafe characters (spaces, quotes) percent-encoded; "" for anything else."""
    url = str(value or "").strip()
    if url.startswith("//"):
        url = "https:" + url
    if not url.lower().startswith(("http://", "https://")):
        return ""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def absolute_url(base: str, path: Any) -> str:
    """`path` resolved against `base` (absolute URLs pass through), made safe; "" for an empty path."""
    if not path:
        return ""
    path = str(path).strip()
    if not path.lower().startswith(("http://", "https://", "//")):
        path = urljoin(base.rstrip("/") + "/", path.lstrip("/"))
    return clean_url(path)


def topic_path(*parts: Any) -> str:
    """A nested topic name, "Parent > Child", from its non-empty parts."""
    return " > ".join(plain(part) for part in parts if plain(part))


def colon_topic(value: Any) -> str:
    """ "Business: Leadership & Organizations" → "Business > Leadership & Organizations"."""
    return topic_path(*str(value or "").split(":", 1))


# --- the catalogue's words -----------------------------------------------------------------------------------

_LEVELS = {
    "introductory": "introductory",
    "introduction": "introductory",
    "beginner": "introductory",
    "basic": "introductory",
    "intermediate": "intermediate",
    "advanced": "advanced",
    "expert": "advanced",
    "high school": "high_school",
    "high_school": "high_school",
    "undergraduate": "undergraduate",
    "graduate": "graduate",
}


def map_level(value: Any) -> str:
    """Our level code for a source's word ("Beginner", "Intermediate", "High School", ...); "" if unknown."""
    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        word = " ".join(str(item or "").lower().replace("-", " ").split())
        word = word.replace(" level", "")
        if word in _LEVELS:
            return _LEVELS[word]
    return ""


def map_delivery(value: Any) -> str:
    """online / in_person / hybrid / offline for "Online", "On Campus", "In Person", "Blended", ..."""
    word = str(value or "").lower()
    if not word:
        return ""
    if any(w in word for w in ("blended", "hybrid", "mixed")):
        return "hybrid"
    if any(w in word for w in ("in person", "in-person", "on campus", "on-campus", "classroom", "onsite", "on site")):
        return "in_person"
    if "offline" in word:
        return "offline"
    if any(w in word for w in ("online", "virtual", "remote")):
        return "online"
    return ""


def combined_delivery(values: Iterable[str]) -> str:
    """One delivery for a resource whose runs differ: the only one, or hybrid when they mix."""
    found = {value for value in values if value}
    if not found:
        return ""
    if len(found) == 1:
        return found.pop()
    return "hybrid"


def map_pace(value: Any) -> str:
    word = str(value or "").lower().replace("-", "_").replace(" ", "_")
    if "self" in word or "on_demand" in word:
        return "self_paced"
    if "instructor" in word:
        return "instructor_paced"
    return ""


def map_format(value: Any) -> str:
    word = str(value or "").lower()
    if word.startswith("async") or "asynchronous" in word:
        return "asynchronous"
    if word.startswith("sync") or "synchronous" in word:
        return "synchronous"
    return ""


def map_certification_type(value: Any) -> str:
    """Our certification type for a source's certificate or program-type words; "" when none is named."""
    word = str(value or "").lower()
    if not word or word in {"none", "no certificate"}:
        return ""
    if "micromasters" in word:
        return "micromasters"
    if "credit" in word or "degree" in word:
        return "academic"
    if "professional" in word or "xseries" in word:
        return "professional"
    return "completion"


_LANGUAGES = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "portuguese": "pt",
    "português": "pt",
    "french": "fr",
    "français": "fr",
    "german": "de",
    "deutsch": "de",
    "chinese": "zh",
    "mandarin": "zh",
    "japanese": "ja",
    "korean": "ko",
    "arabic": "ar",
    "russian": "ru",
    "italian": "it",
    "hindi": "hi",
    "turkish": "tr",
    "dutch": "nl",
    "polish": "pl",
    "indonesian": "id",
    "vietnamese": "vi",
    "ukrainian": "uk",
}


def language_code(value: Any) -> str:
    """An ISO 639-1 code from "English", "en", "en-us", "pt_BR"; "" when unknown."""
    word = str(value or "").strip().lower()
    if not word:
        return ""
    if word in _LANGUAGES:
        return _LANGUAGES[word]
    base = re.split(r"[-_ ]", word)[0]
    if len(base) == 2 and base.isascii() and base.isalpha():  # "中文" is two letters too, but no code
        return base
    return _LANGUAGES.get(base, "")


def language_codes(values: Iterable[Any]) -> list[str]:
    return unique(language_code(value) for value in values)


_LICENSES = {
    "by-nc-sa": "CC BY-NC-SA",
    "by-nc-nd": "CC BY-NC-ND",
    "by-sa": "CC BY-SA",
    "by-nd": "CC BY-ND",
    "by-nc": "CC BY-NC",
    "by": "CC BY",
}


def license_name(value: Any) -> str:
    """ "https://creativecommons.org/licenses/by-nc-sa/4.0/" → "CC BY-NC-SA 4.0"; other values as given."""
    text = str(value or "").strip()
    match = re.search(r"creativecommons\.org/licenses/([a-z-]+)/([\d.]+)", text)
    if match and match.group(1) in _LICENSES:
        return f"{_LICENSES[match.group(1)]} {match.group(2)}"
    return text


_HOURS = re.compile(r"(\d+(?:\.\d+)?)(?:\s*(?:-|–|to)\s*(\d+(?:\.\d+)?))?")


def weekly_hours(value: Any) -> tuple[int | None, int | None]:
    """(min, max) hours per week from "5-8 hrs/wk", "7 hours per week", "4 to 6"; (None, None) otherwise.
    Hours per day ("8 hours/day") are not weekly hours."""
    text = str(value or "").lower()
    if not text or "day" in text:
        return None, None
    match = _HOURS.search(text)
    if not match:
        return None, None
    low = round(float(match.group(1)))
    high = round(float(match.group(2))) if match.group(2) else low
    return low, high


# --- MIT departments -----------------------------------------------------------------------------------------

MIT_DEPARTMENTS = {
    "1": "Civil and Environmental Engineering",
    "2": "Mechanical Engineering",
    "3": "Materials Science and Engineering",
    "4": "Architecture",
    "5": "Chemistry",
    "6": "Electrical Engineering and Computer Science",
    "7": "Biology",
    "8": "Physics",
    "9": "Brain and Cognitive Sciences",
    "10": "Chemical Engineering",
    "11": "Urban Studies and Planning",
    "12": "Earth, Atmospheric, and Planetary Sciences",
    "14": "Economics",
    "15": "Management",
    "16": "Aeronautics and Astronautics",
    "17": "Political Science",
    "18": "Mathematics",
    "20": "Biological Engineering",
    "21A": "Anthropology",
    "21G": "Global Languages",
    "21H": "History",
    "21L": "Literature",
    "21M": "Music and Theater Arts",
    "22": "Nuclear Science and Engineering",
    "24": "Linguistics and Philosophy",
    "CMS-W": "Comparative Media Studies/Writing",
    "ESD": "Engineering Systems Division",
    "HST": "Health Sciences and Technology",
    "IDS": "Institute for Data, Systems, and Society",
    "MAS": "Media Arts and Sciences",
    "STS": "Science, Technology, and Society",
    "WGS": "Women's and Gender Studies",
    "EC": "Edgerton Center",
    "ES": "Experimental Study Group",
    "PE": "Athletics, Physical Education and Recreation",
    "RES": "Supplemental Resources",
    "SP": "Special Programs",
    "CC": "Concourse",
}
_DEPARTMENT_CODES = {name.lower(): code for code, name in MIT_DEPARTMENTS.items()}
_DEPARTMENT_CODES.update({"eecs": "6", "electrical engineering & computer science": "6", "sloan": "15"})
_DEPARTMENT_SLUGS = {slugify(name): code for code, name in MIT_DEPARTMENTS.items()}
_DEPARTMENT_SLUGS.update({"sloan-school-of-management": "15", "nuclear-engineering": "22", "resources": "RES"})


def department(value: Any) -> dict | None:
    """`{code, name}` for an MIT department given by number ("16") or name ("Mathematics"); other names get
    their own name as code."""
    text = plain(value)
    if not text:
        return None
    if text.upper() in MIT_DEPARTMENTS:
        return {"code": text.upper(), "name": MIT_DEPARTMENTS[text.upper()]}
    code = _DEPARTMENT_CODES.get(text.lower())
    if code is None and (code := _DEPARTMENT_SLUGS.get(slugify(text))):
        return {"code": code, "name": MIT_DEPARTMENTS[code]}  # a slug, e.g. OCW's "mechanical-engineering"
    return {"code": code or text[:32], "name": text}


def departments(values: Iterable[Any]) -> list[dict]:
    return unique(department(value) for value in values)


def course_number_key(readable_id: str) -> str:
    """The course number in an edX-style key: "course-v1:MITxT+18.03.1x+2T2024" → "18.03.1x"."""
    key = str(readable_id or "").split(":", 1)[-1]
    parts = key.replace("/", "+").split("+")
    return parts[1] if len(parts) > 1 else ""


def require_records(records: Iterable[dict], snapshot, what: str = "courses or programs") -> Iterable[dict]:
    """Pass records through; TransformError when there are none (an empty feed is an error, not an empty
    catalogue)."""
    count = 0
    for record in records:
        count += 1
        yield record
    if not count:
        names = ", ".join(document.name for document in snapshot.documents[:5]) or "no documents"
        raise TransformError(f"empty result: the snapshot holds no {what}", document=names)

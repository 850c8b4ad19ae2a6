"""Queries that name an institution or a person of the catalogue: hybrid search keeps their keyword precision.

A learner who types "deeplearning.ai" or "johns hopkins" wants that offeror's courses, and one who types an
instructor's name wants that person's; the meaning of a name to the encoder is only "something like it" (other AI
course providers, other universities), and those neighbours crowded the keyword matches out of the top 10 (issue
14). So `hybrid_ranking` restricts its semantic list to the named offerors, and drops it for a named instructor.

A query names an offeror when, as a whole, it is one of the offeror's name forms (`name_forms`); it names an
instructor when it is an instructor's full name. Nothing else about the query is guessed.
"""

import time

from catalog.models import Instructor, Offeror

from .text import tokens

# Words that describe what kind of institution an offeror is rather than which one: "Yale University" is also
# called "yale", "Berklee College of Music" "berklee".
GENERIC = frozenset({"university", "college", "school", "institute", "academy", "the", "of", "at", "for"})
CACHE_SECONDS = 60
MAX_NAME_WORDS = 8
_cache: dict[str, object] = {"expires": 0.0, "forms": {}}


def clear_cache(**kwargs) -> None:
    _cache["expires"] = 0.0


def name_forms(name: str, code: str = "") -> set[tuple[str, ...]]:
    """The token sequences that name an offeror: its whole name, its code's words ("deeplearningai"), and its
    name up to the first generic word when that leaves a distinctive part ("johns hopkins", "berklee"; not for
    "University of Michigan", whose short form would be nothing)."""
    words = tokens(name)
    forms = {tuple(words)} if words else set()
    if code:
        forms.add(tuple(code.split("-")))
    short = []
    for word in words:
        if word in GENERIC:
            break
        short.append(word)
    if short and len(short) < len(words):
        forms.add(tuple(short))
    return forms


def _offeror_forms() -> dict[tuple[str, ...], set[str]]:
    """Name form → offeror codes, cached briefly in process (offerors change with imports, rarely)."""
    if _cache["expires"] < time.monotonic():
        forms: dict[tuple[str, ...], set[str]] = {}
        for code, name in Offeror.objects.values_list("code", "name"):
            for form in name_forms(name, code):
                forms.setdefault(form, set()).add(code)
        _cache.update(forms=forms, expires=time.monotonic() + CACHE_SECONDS)
    return _cache["forms"]


def named_offerors(text: str) -> list[str]:
    """Codes of the offerors that `text`, as a whole, names ([] when it names none)."""
    words = tuple(tokens(text))
    if not words or len(words) > MAX_NAME_WORDS:
        return []
    forms = _offeror_forms()
    # "deeplearning.ai" is one token here; the code form "deeplearningai" is matched without the dot.
    codes = forms.get(words) or forms.get(tuple(word.replace(".", "") for word in words)) or set()
    return sorted(codes)


def names_instructor(text: str) -> bool:
    """Whether `text` is an instructor's full name (two to four words, as stored or in title case)."""
    words = text.split()
    if not 2 <= len(words) <= 4 or not all(word.replace("-", "").replace("'", "").isalpha() for word in words):
        return False
    spaced = " ".join(words)
    return Instructor.objects.filter(full_name__in={spaced, spaced.title()}).exists()

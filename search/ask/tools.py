"""Retrieval for Ask: the model's tools run the project's own search, and the extractive answer uses the same code.

`search_resources` runs `search.service.run_search` with the filters the model extracted (free, level, type,
topic, offeror, start date); `search_content` returns matching content-file chunks; `get_resource` details one
resource (only a public one). Every resource a tool returns is added to the turn's `RetrievalSet`; nothing else
may be cited. Tool results are JSON data: retrieved text travels as quoted strings inside them, and the system
prompt tells the model that nothing in a tool result is an instruction.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from catalog.models import LearningResource, Level, Offeror, ResourceType, Topic

from ..semantic import VectorSearchUnavailable, content_search
from ..service import SearchParams, run_search
from ..text import STOPWORDS, tokens
from .citations import RetrievalSet, Source, neutralise

RESULTS = 6
CANDIDATES = 30
CONTENT_CHUNKS = 6
TEXT_CHARS = 500
# A term of the question "covers" a hit when its first letters appear in the hit's title or summary; retrieval is a
# close match when one of the top hits covers at least this share of the question's terms (used only when the
# search service gives no `no_close_match` signal of its own).
COVERAGE_MIN = 0.5
STEM_CHARS = 5
# Words of questions that say what the learner wants, not what about: left out of the search text.
QUESTION_WORDS = {
    "want", "wants", "learn", "learning", "learned", "find", "looking", "look", "recommend", "recommendation",
    "recommendations", "suggest", "know", "understand", "teach", "teaches", "study", "studying", "like", "would",
    "something", "good", "best", "any", "some", "get", "started", "start", "help", "need", "please", "interested",
    "course", "courses", "class", "classes", "resource", "resources", "free", "beginner", "beginners", "background",
    "prior", "experience", "level", "introductory", "intro", "advanced", "intermediate", "online", "which", "where",
    "there", "can", "could", "should", "take", "me", "i", "im", "my", "no", "without", "ones", "one", "more",
    "also", "tell", "show", "give", "offer", "offers", "offered", "program", "programs", "podcast", "podcasts",
    "video", "videos", "upcoming", "soon", "next", "month", "starting", "starts",
}  # fmt: skip
TYPE_WORDS = {
    "course": "course", "courses": "course", "class": "course", "classes": "course", "program": "program",
    "programs": "program", "podcast": "podcast,podcast_episode", "podcasts": "podcast,podcast_episode",
    "video": "video,video_playlist", "videos": "video,video_playlist",
}  # fmt: skip
LEVEL_PHRASES = (
    (r"\b(no (prior )?(background|experience)|beginners?|introductory|intro|from scratch|new to)\b", "introductory"),
    (r"\bintermediate\b", "intermediate"),
    (r"\badvanced\b", "advanced"),
    (r"\bgraduate\b", "graduate"),
    (r"\bundergrad(uate)?\b", "undergraduate"),
)

SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_resources",
        "description": "Search the Learnhub catalogue (courses, programs, videos, podcasts). Returns resources with "
        "a ref like R12 to cite. Use filters only when the learner asked for them.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What the learner wants to learn about, in keywords."},
                "free": {"type": "boolean", "description": "Only free resources."},
                "level": {"type": "string", "enum": [value for value, _ in Level.choices]},
                "type": {"type": "string", "enum": [value for value, _ in ResourceType.choices]},
                "topic": {"type": "string", "description": "A topic name, e.g. Computer Science."},
                "offeror": {"type": "string", "description": "Who offers it, e.g. MIT OpenCourseWare."},
                "starts_after": {"type": "string", "description": "ISO date: only resources starting on or after."},
            },
            "required": ["query"],
        },
    },
}
CONTENT_TOOL = {
    "type": "function",
    "function": {
        "name": "search_content",
        "description": "Find passages of course material (lecture notes, transcripts) matching a question. Returns "
        "passages with the ref of their resource.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
    },
}
RESOURCE_TOOL = {
    "type": "function",
    "function": {
        "name": "get_resource",
        "description": "Details of one resource by its numeric id (the digits of its ref).",
        "parameters": {
            "type": "object",
            "properties": {"resource_id": {"type": "integer"}},
            "required": ["resource_id"],
        },
    },
}
TOOLS = [SEARCH_TOOL, CONTENT_TOOL, RESOURCE_TOOL]


class ToolArgumentError(ValueError):
    """The model's arguments were unusable; the message goes back to the model as the tool's result."""


@dataclass
class Filters:
    query: str = ""
    free: bool = False
    level: str = ""
    resource_type: str = ""
    topic: str = ""
    offeror: str = ""
    starts_after: date | None = None

    def describe(self) -> dict:
        data = {"free": self.free, "level": self.level, "type": self.resource_type, "topic": self.topic}
        data.update(offeror=self.offeror, starts_after=self.starts_after.isoformat() if self.starts_after else "")
        return {key: value for key, value in data.items() if value}


@dataclass
class SearchOutcome:
    sources: list[Source]
    close_match: bool
    notes: list[str]
    terms: list[str] = field(default_factory=list)  # the search's terms, question words left out
    expansions: list[str] = field(default_factory=list)


def _clip(text: str, limit: int = TEXT_CHARS) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def parse_filters(arguments: dict) -> Filters:
    """Check the search tool's arguments; raise ToolArgumentError naming the argument that was wrong."""
    if not isinstance(arguments, dict):
        raise ToolArgumentError("arguments must be a JSON object")
    filters = Filters(query=_clip(str(arguments.get("query") or ""), 200))
    free = arguments.get("free")
    if free not in (None, True, False, "true", "false"):
        raise ToolArgumentError(f"free: expected true or false, got {str(free)[:40]!r}")
    filters.free = free in (True, "true")
    level = str(arguments.get("level") or "")
    if level and level not in Level.values:
        raise ToolArgumentError(f"level: unknown {level[:40]!r}; expected one of {', '.join(Level.values)}")
    filters.level = level
    resource_type = str(arguments.get("type") or "")
    if resource_type and resource_type not in ResourceType.values:
        raise ToolArgumentError(
            f"type: unknown {resource_type[:40]!r}; expected one of {', '.join(ResourceType.values)}"
        )
    filters.resource_type = resource_type
    filters.topic = _clip(str(arguments.get("topic") or ""), 100)
    filters.offeror = _clip(str(arguments.get("offeror") or ""), 100)
    starts_after = str(arguments.get("starts_after") or "")
    if starts_after:
        try:
            filters.starts_after = date.fromisoformat(starts_after[:10])
        except ValueError:
            raise ToolArgumentError(f"starts_after: expected an ISO date (YYYY-MM-DD), got {starts_after[:40]!r}")
    if not filters.query and not (filters.topic or filters.offeror):
        raise ToolArgumentError("query: required (what to search for)")
    return filters


def filters_from_question(question: str) -> Filters:
    """The extractive path's own reading of a question: keywords and the filters it states in words."""
    lowered = question.lower()
    words = tokens(question)
    filters = Filters()
    filters.free = bool(re.search(r"\b(free|no cost|without paying)\b", lowered))
    for pattern, level in LEVEL_PHRASES:
        if re.search(pattern, lowered):
            filters.level = level
            break
    types = {TYPE_WORDS[word] for word in words if word in TYPE_WORDS}
    if len(types) == 1:
        filters.resource_type = types.pop()
    keywords = [word for word in words if word not in QUESTION_WORDS and word not in STOPWORDS]
    filters.query = " ".join(keywords)  # may be empty: the caller decides (a follow-up, or the words as typed)
    return filters


def _slugs(model, value: str, *, key: str) -> list[str]:
    exact = list(model.objects.filter(Q(**{key: value}) | Q(name__iexact=value)).values_list(key, flat=True)[:5])
    return exact or list(model.objects.filter(name__icontains=value).values_list(key, flat=True)[:5])


def _facet_filters(filters: Filters, notes: list[str]) -> dict[str, list[str]]:
    facet: dict[str, list[str]] = {}
    if filters.free:
        facet["price"] = ["free"]
    if filters.level:
        facet["level"] = [filters.level]
    if filters.resource_type:
        facet["type"] = filters.resource_type.split(",")  # the extractive reading may name a type and its parts
    else:  # Ask recommends resources: news and pages (which hybrid search also lists) would take their places
        facet["type"] = sorted(value for value, _ in ResourceType.choices)
    if filters.topic:
        slugs = _slugs(Topic, filters.topic, key="slug")
        if slugs:
            facet["topic"] = slugs
        else:
            notes.append(f"no topic is called {filters.topic!r}; searched without a topic filter")
    if filters.offeror:
        codes = _slugs(Offeror, filters.offeror, key="code")
        if codes:
            facet["offeror"] = codes
        else:
            notes.append(f"no offeror is called {filters.offeror!r}; searched without an offeror filter")
    return facet


def _stem(word: str) -> str:
    return word[:STEM_CHARS]


def coverage(terms: list[str], text: str, expansions: list[str] = ()) -> float:
    """The share of `terms` whose first letters start a word of `text`; a synonym or spelling fix (`expansions`)
    found in the text stands for one term that is not."""
    if not terms:
        return 1.0
    stems = {_stem(word) for word in tokens(text)}
    covered = sum(1 for term in terms if _stem(term) in stems)
    if covered < len(terms) and any(_stem(word) in stems for word in expansions):
        covered += 1
    return covered / len(terms)


def hit_text(title: str, summary: str, details: dict) -> str:
    """What a hit is judged on: title, summary, and the people, topics, offeror and numbers it is listed with."""
    extra = [details.get("offered_by", ""), *details.get("topics", []), *details.get("instructors", [])]
    return " ".join([title, summary, *extra, *details.get("course_numbers", [])])


def search_resources(filters: Filters, retrieved: RetrievalSet, *, limit: int = RESULTS) -> SearchOutcome:
    """Run the search service for `filters` and add the resources found to `retrieved`."""
    notes: list[str] = []
    facet = _facet_filters(filters, notes)
    params = SearchParams(q=filters.query, filters=facet, mode="hybrid", page_size=CANDIDATES)
    page = run_search(params, facets=False, highlight=False)
    hits = [hit for hit in page.hits if hit.kind == "resource"]
    if filters.starts_after:
        after = timezone.make_aware(datetime.combine(filters.starts_after, datetime.min.time()))
        hits = [hit for hit in hits if hit.start_date and hit.start_date >= after]
    hits = hits[:limit]
    signal = getattr(page, "no_close_match", None)
    terms = [term for term in page.request.terms if term not in QUESTION_WORDS]
    expansions = page.request.expansions
    if not hits:
        close = False
    elif signal is not None:
        close = not signal
    else:
        close = any(
            coverage(terms, hit_text(hit.title, hit.summary, _details(hit)), expansions) >= COVERAGE_MIN
            for hit in hits[:5]
        )
    sources = [
        retrieved.add(
            Source(
                resource_id=hit.object_id,
                title=hit.title,
                url=hit.url,
                passage=_clip(neutralise(hit.summary)),
                resource_type=hit.doc_type,
            )
        )
        for hit in hits
    ]
    for source, hit in zip(sources, hits, strict=True):
        source.details = _details(hit)
    return SearchOutcome(sources=sources, close_match=close, notes=notes, terms=terms, expansions=expansions)


def _details(hit) -> dict:
    display = hit.display or {}
    return {
        "type": display.get("type", hit.doc_type),
        "level": display.get("level", ""),
        "free": display.get("free"),
        "offered_by": display.get("offeror", ""),
        "topics": display.get("topics", []),
        "instructors": display.get("instructors", []),
        "course_numbers": display.get("course_numbers", []),
        "starts": hit.start_date.date().isoformat() if hit.start_date else "",
    }


def search_passages(query: str, retrieved: RetrievalSet, *, limit: int = CONTENT_CHUNKS) -> tuple[list[dict], str]:
    """Content chunks for `query` (resources added to `retrieved`), and a note when content search is down."""
    try:
        groups = content_search(_clip(query, 200), {}, limit=limit)
    except VectorSearchUnavailable:
        return [], "course material search is unavailable right now"
    passages = []
    for group in groups:
        resource = group.resource
        best = group.chunks[0]
        source = retrieved.add(
            Source(
                resource_id=resource.pk,
                title=resource.title,
                url=resource.get_absolute_url(),
                passage=_clip(neutralise(best.text)),
                resource_type=resource.resource_type,
            )
        )
        source.passage = _clip(neutralise(best.text))
        for chunk in group.chunks[:2]:
            passages.append({"ref": source.ref, "title": source.title, "file": chunk.file_title, "text": chunk.text})
    return [{**item, "text": _clip(neutralise(item["text"]))} for item in passages], ""


def get_resource(resource_id, retrieved: RetrievalSet) -> dict:
    try:
        resource_id = int(resource_id)
    except (TypeError, ValueError):
        raise ToolArgumentError(f"resource_id: expected a whole number, got {str(resource_id)[:40]!r}") from None
    resource = LearningResource.objects.public().select_related("offered_by").filter(pk=resource_id).first()
    if resource is None:
        return {"error": f"there is no resource R{resource_id}; cite only refs that a search returned"}
    source = retrieved.add(
        Source(
            resource_id=resource.pk,
            title=resource.title,
            url=resource.get_absolute_url(),
            passage=_clip(neutralise(strip_tags(resource.description))),
            resource_type=resource.resource_type,
        )
    )
    return {
        "ref": source.ref,
        "title": resource.title,
        "type": resource.get_resource_type_display(),
        "level": resource.get_level_display() if resource.level else "",
        "free": resource.free,
        "offered_by": resource.offered_by.name if resource.offered_by else "",
        "starts": resource.next_start_date.date().isoformat() if resource.next_start_date else "",
        "description": source.passage,
    }


def _source_data(source: Source) -> dict:
    return {"ref": source.ref, "title": source.title, **source.details, "description": source.passage}


def run_tool(name: str, raw_arguments: str, retrieved: RetrievalSet) -> tuple[dict, bool | None]:
    """Run one tool call; returns (result data for the model, close-match verdict of a search or None).

    Malformed or invalid arguments are answered with `{"error": ...}` so that the model can correct itself."""
    try:
        arguments = json.loads(raw_arguments or "{}")
    except json.JSONDecodeError as error:
        return {
            "error": f"arguments are not valid JSON ({error.msg} at position {error.pos}); send a JSON object"
        }, None
    try:
        if name == "search_resources":
            outcome = search_resources(parse_filters(arguments), retrieved)
            data = {"results": [_source_data(source) for source in outcome.sources]}
            if outcome.notes:
                data["notes"] = outcome.notes
            if not outcome.close_match:
                data["no_close_match"] = True
            return data, outcome.close_match
        if name == "search_content":
            if not isinstance(arguments, dict) or not str(arguments.get("query") or "").strip():
                raise ToolArgumentError("query: required (what to find passages for)")
            passages, note = search_passages(str(arguments["query"]), retrieved)
            return ({"passages": passages, "notes": [note]} if note else {"passages": passages}), None
        if name == "get_resource":
            if not isinstance(arguments, dict):
                raise ToolArgumentError("arguments must be a JSON object")
            return get_resource(arguments.get("resource_id"), retrieved), None
    except ToolArgumentError as error:
        return {"error": str(error)}, None
    return {
        "error": f"unknown tool {name[:60]!r}; the tools are {', '.join(t['function']['name'] for t in TOOLS)}"
    }, None

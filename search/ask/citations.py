"""Citations: only resources that retrieval returned in this turn may be cited.

Retrieval records every resource a tool returned (`RetrievalSet`); the model cites one by writing its reference
`[R<id>]`. `CitationFilter` reads the answer as it streams, keeps references to retrieved resources, removes any
other (a hallucinated id, an id named in injected text, a resource a tool said does not exist) and counts them.
"""

import re
from dataclasses import dataclass, field

MARKER = re.compile(r"\[R(\d{1,12})\]")
# The longest text a partial marker can be ("[R" + 12 digits + "]"); more than that after "[" is plain text.
MARKER_MAX = 15
PASSAGE_CHARS = 400


@dataclass
class Source:
    resource_id: int
    title: str
    url: str
    passage: str = ""  # the quoted text: the best matching content chunk, else the description
    resource_type: str = ""
    details: dict = field(default_factory=dict)  # what the model is told besides the passage (type, level, ...)

    @property
    def ref(self) -> str:
        return f"R{self.resource_id}"

    def citation(self) -> dict:
        # Links are rendered by the panel: only site paths and web URLs (never `javascript:` from imported data).
        url = self.url if self.url.startswith(("/", "https://", "http://")) else ""
        return {
            "ref": self.ref,
            "resource_id": self.resource_id,
            "title": self.title,
            "url": url,
            "resource_type": self.resource_type,
            "passage": self.passage[:PASSAGE_CHARS],
        }


@dataclass
class RetrievalSet:
    """What the tools returned in one turn, by resource id (first seen first)."""

    sources: dict[int, Source] = field(default_factory=dict)

    def add(self, source: Source) -> Source:
        known = self.sources.get(source.resource_id)
        if known is None:
            self.sources[source.resource_id] = source
            return source
        if source.passage and (not known.passage or source.resource_type == "chunk"):
            known.passage = source.passage
        return known

    def __contains__(self, resource_id: int) -> bool:
        return resource_id in self.sources

    def __len__(self) -> int:
        return len(self.sources)


def neutralise(text: str) -> str:
    """Retrieved text must not carry citation markers of its own (an imported description could forge one)."""
    return MARKER.sub(lambda match: f"(R{match.group(1)})", text or "")


class CitationFilter:
    """Feed answer deltas in, get text out with only valid citation markers; `cited` keeps their order."""

    def __init__(self, retrieved: RetrievalSet):
        self.retrieved = retrieved
        self.pending = ""
        self.cited: list[int] = []
        self.dropped = 0

    def _replace(self, match: re.Match) -> str:
        resource_id = int(match.group(1))
        if resource_id in self.retrieved:
            if resource_id not in self.cited:
                self.cited.append(resource_id)
            return match.group(0)
        self.dropped += 1
        return ""

    def feed(self, delta: str) -> str:
        text = self.pending + delta
        # Hold back from a "[" that could still become a marker.
        cut = text.rfind("[")
        if cut != -1 and len(text) - cut < MARKER_MAX and re.fullmatch(r"\[(R\d*)?", text[cut:]):
            self.pending, text = text[cut:], text[:cut]
        else:
            self.pending = ""
        return MARKER.sub(self._replace, text)

    def flush(self) -> str:
        text, self.pending = self.pending, ""
        return MARKER.sub(self._replace, text)

    def citations(self) -> list[dict]:
        return [self.retrieved.sources[resource_id].citation() for resource_id in self.cited]


def filter_answer(text: str, retrieved: RetrievalSet) -> tuple[str, list[dict], int]:
    """A whole answer at once: (text with valid markers only, citations, dropped count)."""
    citations = CitationFilter(retrieved)
    clean = citations.feed(text) + citations.flush()
    return clean, citations.citations(), citations.dropped

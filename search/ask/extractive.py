"""The extractive answer: no language model (none configured, or the day's token budget spent). Ask still answers
with the best matching resources and their passages, labelled "extractive", in the same events as a model's."""

from dataclasses import dataclass, field

from ..text import tokens
from .citations import RetrievalSet, Source
from .tools import (
    COVERAGE_MIN,
    Filters,
    coverage,
    filters_from_question,
    hit_text,
    search_passages,
    search_resources,
)

NO_MATCH = "I couldn't find a course on that."
LABEL = "Extractive answer (the closest matches in the catalogue, quoted; no language model wrote this):"
CITED = 3
# A follow-up with fewer keywords than this is read together with the previous question ("any free ones?").
FOLLOW_UP_WORDS = 2


@dataclass
class ExtractiveAnswer:
    lines: list[str]
    sources: list[Source]
    retrieved: RetrievalSet
    no_match: bool
    filters: Filters
    notes: list[str] = field(default_factory=list)


def question_filters(question: str, previous: list[str]) -> Filters:
    filters = filters_from_question(question)
    if previous and len(filters.query.split()) < FOLLOW_UP_WORDS:
        earlier = filters_from_question(" ".join([*previous[-2:], question]))
        earlier.query = " ".join(dict.fromkeys(earlier.query.split()))
        return earlier
    if not filters.query:
        filters.query = " ".join(tokens(question))
    return filters


def extractive_answer(question: str, previous: list[str] = ()) -> ExtractiveAnswer:
    """Search for `question` (with the keywords of `previous` questions when it is a short follow-up)."""
    retrieved = RetrievalSet()
    filters = question_filters(question, list(previous))
    outcome = search_resources(filters, retrieved)
    if not outcome.close_match or not outcome.sources:
        return ExtractiveAnswer([NO_MATCH], [], retrieved, True, filters, outcome.notes)
    chosen = [
        source
        for source in outcome.sources
        if coverage(outcome.terms, hit_text(source.title, source.passage, source.details), outcome.expansions)
        >= COVERAGE_MIN
    ][:CITED] or outcome.sources[:1]
    # Passages of course material, when content search is available, quote the chosen resources more precisely.
    chunks = RetrievalSet()
    search_passages(filters.query, chunks)
    for source in chosen:
        if source.resource_id in chunks:
            source.passage = chunks.sources[source.resource_id].passage
    lines = [LABEL]
    for source in chosen:
        quoted = f" — “{source.passage}”" if source.passage else ""
        lines.append(f"\n- {source.title} [{source.ref}]{quoted}")
    return ExtractiveAnswer(lines, chosen, retrieved, False, filters, outcome.notes)

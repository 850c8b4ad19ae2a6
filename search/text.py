"""Text helpers shared by the document builder, the query parser and the engines."""

import html
import re
import unicodedata

import nh3

# Query tokens: words, plus course numbers and hyphenated words kept whole ("6.0001", "e-commerce").
TOKEN_RE = re.compile(r"\w+(?:[.\-]\w+)*")
VOCABULARY_RE = re.compile(r"[^\W\d_]{3,40}")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    }
)

# Private-use characters mark highlights inside engine output; the text is escaped before they become <mark>.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"


def unaccent(text: str) -> str:
    """Strip diacritics: "Économie" → "Economie"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise(text: str) -> str:
    return unaccent(text).lower()


def plain_text(value: str) -> str:
    """Sanitised HTML → plain text on one line."""
    if not value:
        return ""
    text = nh3.clean(value, tags=set())
    return " ".join(html.unescape(text).split())


def clean_query(raw: str, max_length: int = 200) -> str:
    """What a learner typed, made safe to echo and to parse: no control characters, bounded length."""
    text = CONTROL_RE.sub(" ", raw or "")
    return " ".join(text.split())[:max_length].strip()


def tokens(text: str) -> list[str]:
    """Normalised query tokens, in order, without duplicates."""
    seen: dict[str, None] = {}
    for token in TOKEN_RE.findall(normalise(text)):
        token = token.strip("._-")[:64]
        if token:
            seen.setdefault(token, None)
    return list(seen)


def vocabulary(text: str) -> set[str]:
    """The words of `text` worth offering as typo corrections."""
    return {word for word in VOCABULARY_RE.findall(normalise(text)) if word not in STOPWORDS}


def marked_to_html(text: str) -> str:
    """Escape engine output and turn the highlight markers into <mark> elements."""
    escaped = html.escape(text.replace(MARK_CLOSE + " " + MARK_OPEN, " "), quote=False)
    return escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, giving up early above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]

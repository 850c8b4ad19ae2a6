"""What goes into the vector store: one point per public resource, and one per chunk of each content file.

Payloads carry the facet fields so that semantic search filters the same way lexical search does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db.models import Prefetch
from django.utils.html import strip_tags

from catalog.models import ContentFile, LearningResource

from .chunking import chunk_text
from .encoders import Encoder, get_encoder
from .health import forget_unavailable
from .stores import VectorPoint, VectorStore, chunk_point_id, get_vector_store

# Far more than any encoder reads (MiniLM: 256 tokens, OpenAI: 8k): a bound on memory, not a cut of the text.
RESOURCE_TEXT_CHARS = 20_000
RESOURCES = "resources"
CHUNKS = "chunks"
FACET_FIELDS = (
    "resource_type",
    "topics",
    "offered_by",
    "platform",
    "departments",
    "level",
    "certification",
    "free",
    "delivery",
    "languages",
    "resource_id",
)


def public_resources(ids: Iterable[int] | None = None):
    queryset = (
        LearningResource.objects.public()
        .select_related("offered_by", "platform")
        .prefetch_related("topics__parent", "departments", Prefetch("instructors"))
    )
    return queryset if ids is None else queryset.filter(pk__in=list(ids))


def resource_payload(resource: LearningResource) -> dict:
    topics = {t.slug for t in resource.topics.all()} | {t.parent.slug for t in resource.topics.all() if t.parent_id}
    return {
        "resource_id": resource.pk,
        "resource_type": resource.resource_type,
        "title": resource.title,
        "topics": sorted(topics),
        "offered_by": resource.offered_by.code if resource.offered_by_id else "",
        "platform": resource.platform.code if resource.platform_id else "",
        "departments": sorted(d.code for d in resource.departments.all()),
        "level": resource.level,
        "certification": resource.certification,
        "free": resource.free,
        "delivery": resource.delivery,
        "languages": list(resource.languages or []),
    }


def resource_text(resource: LearningResource) -> str:
    """The learner-facing text a resource is embedded from: title, summary, full description, topics, offeror and
    instructors (the full description was dropped before; keeping it measured better, issue 14). The encoder
    truncates to its own token limit, so the title and the summary always fit."""
    summary = strip_tags(resource.description or "").strip()
    full = strip_tags(resource.full_description or "").strip()
    parts = [
        resource.title,
        summary,
        full if full and full != summary else "",
        ", ".join(t.name for t in resource.topics.all()),
        resource.offered_by.name if resource.offered_by_id else "",
        ", ".join(i.full_name for i in resource.instructors.all()),
    ]
    return "\n".join(p for p in parts if p)[:RESOURCE_TEXT_CHARS]


def ensure_collections(store: VectorStore, encoder: Encoder) -> bool:
    """Create both collections for the encoder's dimension; True when they were (re)created empty."""
    created = store.ensure_collection(RESOURCES, encoder.dimensions, FACET_FIELDS)
    created |= store.ensure_collection(CHUNKS, encoder.dimensions, (*FACET_FIELDS, "content_file_id"))
    forget_unavailable()  # searches try the vectors again at once
    return created


def embed_resources(resources: Sequence[LearningResource], *, store=None, encoder=None) -> int:
    store, encoder = store or get_vector_store(), encoder or get_encoder()
    if not resources:
        return 0
    vectors = encoder.encode([resource_text(r) for r in resources])
    store.upsert(
        RESOURCES,
        [VectorPoint(id=r.pk, vector=v, payload=resource_payload(r)) for r, v in zip(resources, vectors, strict=True)],
    )
    forget_unavailable()
    return len(resources)


def embed_content_files(
    files: Sequence[ContentFile],
    *,
    store=None,
    encoder=None,
    chunk_size: int | None = None,
    overlap: int | None = None,
) -> int:
    """Replace the chunks of each file and return how many were embedded.

    Files must have `resource` loaded with its facet relations. Chunks are at most `chunk_size` tokens with
    `overlap` tokens repeated between pieces of a long section (default: EMBEDDING_CHUNK_TOKENS and
    EMBEDDING_CHUNK_OVERLAP).
    """
    store, encoder = store or get_vector_store(), encoder or get_encoder()
    chunk_size = chunk_size or settings.EMBEDDING_CHUNK_TOKENS
    overlap = settings.EMBEDDING_CHUNK_OVERLAP if overlap is None else overlap
    # Chunks are counted in the encoder's own tokens when it has them, and never longer than it reads (the local
    # MiniLM truncates at 256 of its tokens: a 512-token cl100k chunk lost most of its text, issue 14).
    tokens = encoder.chunk_tokens() if hasattr(encoder, "chunk_tokens") else None
    if hasattr(encoder, "chunk_limit"):
        chunk_size = min(chunk_size, encoder.chunk_limit())
        overlap = min(overlap, chunk_size // 4)
    points: list[VectorPoint] = []
    texts: list[str] = []
    if files:
        store.delete_where(CHUNKS, {"content_file_id": [content_file.pk for content_file in files]})
    for content_file in files:
        if not content_file.content:
            continue
        payload = resource_payload(content_file.resource)
        for chunk in chunk_text(content_file.content, size=chunk_size, overlap=overlap, tokens=tokens):
            texts.append(chunk.text)
            points.append(
                VectorPoint(
                    id=chunk_point_id(content_file.pk, chunk.index),
                    vector=(),
                    payload={
                        **payload,
                        "content_file_id": content_file.pk,
                        "chunk": chunk.index,
                        "file_title": content_file.title,
                        "text": chunk.text,
                    },
                )
            )
    if points:
        for point, vector in zip(points, encoder.encode(texts), strict=True):
            point.vector = vector
        store.upsert(CHUNKS, points)
    return len(points)


def refresh_chunk_payloads(resources: Sequence[LearningResource], *, store=None) -> tuple[int, list[int]]:
    """Copy each resource's current facets into the payloads of its chunks, without embedding anything again.

    Returns how many resources were refreshed, and the ids of those that have published content files but no
    chunks in the store (new, or public again after their chunks were removed): their files need embedding.
    """
    store = store or get_vector_store()
    with_files = set(
        ContentFile.objects.filter(resource__in=[r.pk for r in resources], published=True)
        .values_list("resource_id", flat=True)
        .distinct()
    )
    refreshed, missing = 0, []
    for resource in resources:
        if resource.pk not in with_files:
            continue
        if store.count(CHUNKS, {"resource_id": resource.pk}):
            store.set_payload(CHUNKS, {"resource_id": resource.pk}, resource_payload(resource))
            refreshed += 1
        else:
            missing.append(resource.pk)
    return refreshed, missing


def remove_content_files(ids: Iterable[int], *, store=None) -> None:
    store = store or get_vector_store()
    ids = list(ids)
    if ids:
        store.delete_where(CHUNKS, {"content_file_id": ids})


def remove_resources(ids: Iterable[int], *, store=None) -> None:
    store = store or get_vector_store()
    ids = list(ids)
    if ids:
        store.delete(RESOURCES, ids)
        store.delete_where(CHUNKS, {"resource_id": ids})

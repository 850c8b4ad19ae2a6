"""Search storage: the database engine's denormalised documents, its facet postings, the vocabulary used for typo
tolerance, and the editor-maintained synonym list (shared by every engine).

Text queries read `SearchPosting` (see `search.engines.postings`). Title autocomplete uses the database's own
full-text index of titles: on SQLite an FTS5 table (`search_fts`, rowid = document id), on PostgreSQL a
`search_vector` tsvector column on the document table. Both are created by migrations 0002 and 0005, guarded by
database vendor, and are not Django fields so that the models stay portable.
"""

import re

from django.db import models

from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class SearchDocument(models.Model):
    """One indexed object (a public resource, a live page, a news item) flattened for search and display."""

    key = models.CharField(max_length=64, unique=True, help_text='"resource:12", "page:5", "news:3".')
    kind = models.CharField(max_length=16, db_index=True)
    object_id = models.BigIntegerField()
    doc_type = models.CharField(max_length=32, help_text="The value of the type facet: course, video, page, news...")
    title = models.CharField(max_length=512)
    url = models.CharField(max_length=2048, blank=True)
    image_url = models.CharField(max_length=2048, blank=True)
    summary = models.TextField(blank=True, help_text="Plain text shown under the title.")
    # Weighted text: title (A) > people (B: topics, instructors, offeror, course numbers) > body (C) > content (D).
    people = models.TextField(blank=True)
    body = models.TextField(blank=True)
    content = models.TextField(blank=True)
    # Ranking inputs.
    boost = models.FloatField(default=1.0, help_text="Popularity × featured, computed when indexed.")
    popularity = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    start_date = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When the resource's last run ended.")
    display = models.JSONField(default=dict, blank=True, help_text="Facet labels and details shown in results.")
    facet_text = models.TextField(
        blank=True, help_text="The facet values again (facet, value, label), read with a text query's candidates."
    )
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "object_id"], name="search_doc_kind_obj"),
            models.Index(fields=["popularity"], name="search_doc_popularity"),
            models.Index(fields=["published_at"], name="search_doc_published"),
            models.Index(fields=["start_date"], name="search_doc_start"),
            # The empty-query search page's relevance order (boost, then id), read in order by
            # DatabaseEngine._browse_page.
            models.Index(fields=["-boost", "id"], name="search_doc_boost"),
            models.Index(fields=["ended_at"], name="search_doc_ended"),
        ]

    def __str__(self):
        return f"{self.key}: {self.title}"


class SearchFacetValue(models.Model):
    """A (facet, value) posting of a document; a topic posts itself and each of its ancestors."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="facet_values")
    facet = models.CharField(max_length=32)
    value = models.CharField(max_length=200)
    label = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["facet", "value", "document"], name="search_fv_facet_value"),
            models.Index(fields=["document", "facet"], name="search_fv_document"),
        ]

    def __str__(self):
        return f"{self.facet}={self.value}"


class SearchFacetSignature(models.Model):
    """How many indexed documents hold exactly one set of facet values (their `facet_text`).

    The empty-query search page counts its facets and its total over these rows: their number follows the
    variety of the index (types × topics × offerors × ...), not its size. Every index write adjusts them in its
    own transaction (search.engines.database.count_signatures), so they are exact at every moment.
    """

    digest = models.CharField(max_length=64, unique=True, help_text="sha256 of facet_text.")
    facet_text = models.TextField(blank=True)
    documents = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.documents} × {self.facet_text[:60]!r}"


class SearchPosting(models.Model):
    """One stemmed term of a document with its impact (the term's BM25F weight in that document, before idf).

    Read per query term in impact order, a bounded number at a time: a text query's candidates cost the same at
    100k documents as at 1k (see `search.engines.postings`)."""

    term = models.CharField(max_length=64)
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="postings")
    impact = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["term", "-impact", "document"], name="search_posting_term_impact")]

    def __str__(self):
        return f"{self.term} → {self.document_id} ({self.impact:.3f})"


class SearchStem(models.Model):
    """How many indexed documents hold each stemmed term (for idf), kept current on every index write. The row
    with the empty term counts the documents themselves."""

    term = models.CharField(max_length=64, unique=True)
    documents = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.term or '(documents)'}: {self.documents}"


class SearchTerm(models.Model):
    """The indexed vocabulary (unaccented, lower case): typo candidates and "did you mean" come from here."""

    term = models.CharField(max_length=64, unique=True)
    frequency = models.PositiveIntegerField(default=1, help_text="Documents containing the term at the last rebuild.")

    def __str__(self):
        return self.term


_SPLIT = re.compile(r"[,\n]+")


class Synonym(index.Indexed, models.Model):
    """Terms searched as one: a query containing any of them also looks for the others."""

    terms = models.TextField(
        help_text="Equivalent words or phrases separated by commas, e.g. “ml, machine learning”.",
    )
    note = models.CharField(max_length=255, blank=True, help_text="Why these are equivalent (for other editors).")
    updated_at = models.DateTimeField(auto_now=True)

    panels = [FieldPanel("terms"), FieldPanel("note")]
    search_fields = [index.SearchField("terms"), index.AutocompleteField("terms")]

    class Meta:
        ordering = ["terms"]

    def __str__(self):
        return ", ".join(self.term_list()) or "(empty)"

    def term_list(self) -> list[str]:
        return [" ".join(part.lower().split()) for part in _SPLIT.split(self.terms) if part.strip()]


# --- Vectors ---------------------------------------------------------------------------------------


class VectorCollection(models.Model):
    """An embedded vector collection's log head: what every process's local qdrant-edge replica follows.

    The embedded vector store keeps its points here (see `StoredVector` and docs/decisions.md): any process may
    write, and each process that searches applies the changes after its replica's `seq` to its own shard.
    `epoch` changes whenever the collection is (re)created, which makes replicas rebuild from scratch.
    """

    name = models.CharField(max_length=64, unique=True)
    dimensions = models.PositiveIntegerField()
    keyword_fields = models.JSONField(default=list, blank=True)
    epoch = models.CharField(max_length=32)
    seq = models.BigIntegerField(default=0, help_text="The number of the last committed change.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} ({self.dimensions}d, change {self.seq})"


class StoredVector(models.Model):
    """One point of an embedded collection, or its tombstone (`vector` null) after a delete."""

    collection = models.ForeignKey(VectorCollection, on_delete=models.CASCADE, related_name="points")
    point_id = models.CharField(max_length=64, help_text="An integer id or a UUID, as text.")
    vector = models.BinaryField(null=True, help_text="float32 values, little-endian.")
    payload = models.JSONField(default=dict, blank=True)
    seq = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collection", "point_id"], name="search_vector_point_unique")]
        indexes = [models.Index(fields=["collection", "seq"], name="search_vector_seq")]

    def __str__(self):
        return f"{self.collection_id}:{self.point_id}"


class EmbeddingRun(models.Model):
    """One embedding job: what it embedded and removed, and how it ended (the admin's run history)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Mode(models.TextChoices):
        CHANGED = "changed", "Changed since the last successful run"
        ALL = "all", "Everything (rebuild)"

    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.CHANGED)
    trigger = models.CharField(max_length=32, default="schedule", help_text="schedule, command or admin.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    owner = models.CharField(max_length=255, blank=True, help_text="host:pid of the process running it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life while running.")
    since = models.DateTimeField(null=True, blank=True, help_text="Changes after this time were embedded.")
    encoder = models.CharField(max_length=128, blank=True)
    store = models.CharField(max_length=64, blank=True)
    resources_embedded = models.PositiveIntegerField(default=0)
    resources_removed = models.PositiveIntegerField(default=0)
    files_embedded = models.PositiveIntegerField(default=0)
    files_removed = models.PositiveIntegerField(default=0)
    chunks_embedded = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"Embedding run {self.pk} ({self.get_status_display()})"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


from .ask.models import AskConversation, AskMessage  # noqa: E402,F401 - Ask's models live with their subpackage
from .saved.models import DeliveryStatus, DigestDelivery, DigestFrequency, SavedSearch  # noqa: E402,F401 - saved searches live with their subpackage

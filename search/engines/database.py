# ruff: noqa: S608 - SQL here is assembled from constants (table names, placeholders, column weights, numbered
# facet flags); every value a learner or an import supplies is passed as a query parameter.
"""The embedded database engine: our own denormalised document table. A text query's candidates come from
impact-ordered postings (`postings`: BM25F weights, Snowball stems, a bounded read per query term), the same on
both databases, and so are highlights (`postings.mark_title`, `postings.snippet`, in Python over the page's hits);
title autocomplete uses the database's full-text index of titles — SQLite FTS5 (porter stemming, accents folded)
or a PostgreSQL tsvector (unaccent); typo candidates come from the vocabulary (trigrams on PostgreSQL, edit
distance on both).

Wagtail's database backend is not used: it matches all words or nothing and, on SQLite, neither stems nor keeps
field weights apart (see ARCHITECTURE.md, measured facts).
"""

import hashlib
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import replace

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.functions import Substr

from ..models import SearchDocument, SearchFacetSignature, SearchFacetValue, SearchTerm
from ..text import edit_distance, marked_to_html, vocabulary
from . import postings
from .base import IndexDocument, SearchEngine, SearchHit, SearchRequest, SearchResults

DOC_TABLE = SearchDocument._meta.db_table
FACET_TABLE = SearchFacetValue._meta.db_table
POSTING_TABLE = postings.POSTING_TABLE
TERM_TABLE = SearchTerm._meta.db_table
SIGNATURE_TABLE = SearchFacetSignature._meta.db_table
BATCH = 500
DECAY = 0.6  # multiplier for resources whose runs all ended over a year ago
# A text query's total, facet counts and non-relevance sorts cover all of its matches (counted in SQL); its relevance
# ranking starts with the bounded candidates of `postings` (see `DatabaseEngine._match`).

# A text query whose stems are held by more documents than this (summed: an upper bound of its matches, read from
# SearchStem) is counted over its bounded candidates only, and says "about" (`_match_candidates`): counting every
# match costs time in proportion to their number (bench/RESULTS.md, "Exact totals and facet counts").
EXACT_COUNT_LIMIT = 5_000

ORDER_BY = {
    "relevance": "score DESC, id",
    "newest": "CASE WHEN published_at IS NULL THEN 1 ELSE 0 END, published_at DESC, id DESC",
    # Upcoming starts (soonest first), then past starts (most recent first), then undated; %s is now.
    "start_date": "CASE WHEN start_date IS NULL THEN 2 WHEN start_date < %s THEN 1 ELSE 0 END, "
    "CASE WHEN start_date >= %s THEN start_date END ASC, start_date DESC, score DESC, id",
    "popularity": "popularity DESC, score DESC, id",
}


class Dialect:
    """What differs between SQLite and PostgreSQL: text storage, matching, scoring, highlighting, typos."""

    def write_text(self, cursor, documents: list[tuple[int, IndexDocument]]) -> None:
        raise NotImplementedError

    def delete_text(self, cursor, ids: list[int] | None) -> None:
        raise NotImplementedError

    def lock_writers(self, cursor) -> None:
        """Make index writers take turns for the rest of the transaction (see DatabaseEngine._writing)."""

    def match(self, terms: list[str], prefix_last: bool = False):
        """(FROM/WHERE sql, params, score sql, score params) selecting documents whose title holds every term (the
        last one as a prefix with `prefix_last`): title autocomplete."""
        raise NotImplementedError

    def typo_candidates(self, cursor, term: str) -> list[tuple[str, int]]:
        raise NotImplementedError


class SQLiteDialect(Dialect):
    @staticmethod
    def fts_query(terms: list[str], prefix_last: bool = False, operator: str = "OR") -> str:
        # Tokens hold only word characters, dots and hyphens, so quoting makes each one a plain FTS5 string.
        parts = [f'"{term}"' for term in terms]
        if prefix_last and parts:
            parts[-1] += "*"
        return f" {operator} ".join(parts)

    def write_text(self, cursor, documents):
        cursor.executemany(
            "INSERT INTO search_fts (rowid, title) VALUES (%s, %s)", [(pk, doc.title) for pk, doc in documents]
        )

    def delete_text(self, cursor, ids):
        if ids is None:
            cursor.execute("DELETE FROM search_fts")
            return
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            cursor.execute(f"DELETE FROM search_fts WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk)

    def match(self, terms, prefix_last=False):
        sql = f"FROM search_fts JOIN {DOC_TABLE} d ON d.id = search_fts.rowid WHERE search_fts MATCH %s"
        return sql, [self.fts_query(terms, prefix_last, "AND")], "(-bm25(search_fts))", []

    def typo_candidates(self, cursor, term):
        return _closest_terms(term, _vocabulary_by_length(cursor, term, 1 if len(term) <= 5 else 2))


def _vocabulary_by_length(cursor, term: str, spread: int, *, portable: bool = False):
    # Typos rarely change the first letter (or swap the first two); this keeps the scan small. SQLite reads a
    # range of its term index; PostgreSQL's collation does not order "\uffff" last, so it compares prefixes.
    if portable:
        condition = "(substr(term, 1, 1) = %s OR substr(term, 1, 2) = %s)"
        prefixes = [term[0], term[1::-1]]
    else:
        condition = "(term >= %s AND term < %s OR term >= %s AND term < %s)"
        prefixes = [term[0], term[0] + "\uffff", term[1::-1], term[1::-1] + "\uffff"]
    cursor.execute(
        f"SELECT term, frequency FROM {TERM_TABLE} WHERE {condition} AND length(term) BETWEEN %s AND %s",
        [*prefixes, len(term) - spread, len(term) + spread],
    )
    return cursor.fetchall()


def _closest_terms(term: str, vocabulary) -> list[tuple[str, int]]:
    """The three closest words of `vocabulary` ((word, frequency) rows) within the edit-distance limit of `term`
    (1 up to five letters, else 2), by distance then frequency: (word, distance)."""
    limit = 1 if len(term) <= 5 else 2
    candidates = []
    for word, frequency in vocabulary:
        distance = edit_distance(term, word, limit)
        if distance <= limit:
            candidates.append((word, distance, frequency))
    candidates.sort(key=lambda item: (item[1], -item[2], item[0]))
    return [(word, distance) for word, distance, _ in candidates[:3]]


class PostgresDialect(Dialect):
    VECTOR = "to_tsvector('english', unaccent(coalesce(title, '')))"
    # Any constant: the one advisory lock that index writers hold for the length of their transaction.
    WRITER_LOCK = 0x6C6E6873  # "lnhs"

    def lock_writers(self, cursor):
        # Writing a document deletes its key's rows and inserts them again; two READ COMMITTED transactions
        # writing the same key would interleave and one would fail on the unique key (SQLite's IMMEDIATE
        # transactions already take turns). Index batches are short, so one lock for all writers costs little.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [self.WRITER_LOCK])

    @staticmethod
    def ts_query(terms: list[str], prefix_last: bool = False) -> str:
        parts = [f"'{term}'" for term in terms]
        if prefix_last and parts:
            parts[-1] = f"'{terms[-1]}':*"
        return " & ".join(parts)

    def write_text(self, cursor, documents):
        ids = [pk for pk, _ in documents]
        cursor.execute(
            f"UPDATE {DOC_TABLE} SET search_vector = {self.VECTOR} WHERE id = ANY(%s)",
            [ids],
        )

    def delete_text(self, cursor, ids):
        pass  # the vector lives on the document row

    def match(self, terms, prefix_last=False):
        sql = (
            f"FROM {DOC_TABLE} d CROSS JOIN (SELECT to_tsquery('english', unaccent(%s)) AS q) tq "
            "WHERE d.search_vector @@ tq.q"
        )
        return sql, [self.ts_query(terms, prefix_last)], "ts_rank(d.search_vector, tq.q, 1)", []

    def typo_candidates(self, cursor, term):
        # The same candidates as SQLite's: a pg_trgm pre-filter (`term % 'pyhton'`, threshold 0.3) dropped real
        # corrections ("python" is 0.273 from "pyhton"), so the two databases disagreed. The scan is of the
        # vocabulary words that share the first letter (or the swapped first two) and are about as long.
        return _closest_terms(term, _vocabulary_by_length(cursor, term, 1 if len(term) <= 5 else 2, portable=True))


BROWSE_VERSION_KEY = "search:browse:version"


def browse_version() -> int:
    return cache.get_or_set(BROWSE_VERSION_KEY, 0, None)


def index_changed() -> None:
    """Forget cached browse pages: now (for this process) and again once the write commits (for readers that
    cached the old index meanwhile)."""

    def bump():
        try:
            cache.incr(BROWSE_VERSION_KEY)
        except ValueError:
            cache.set(BROWSE_VERSION_KEY, 1, None)

    bump()
    transaction.on_commit(bump)


FACET_SEPARATOR, ENTRY_SEPARATOR = "\x1f", "\x1e"


def facet_entries(facets: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str, str]]:
    """A document's (facet, value, label) entries as stored: values and labels trimmed, empty values left out."""
    return [
        (facet, str(value)[:200], str(label)[:255])
        for facet, values in facets.items()
        for value, label in values
        if value not in (None, "")
    ]


def encode_facets(entries: list[tuple[str, str, str]]) -> str:
    """The facet values on the document row, read with its ranking inputs in one fetch (see `_match`)."""
    return ENTRY_SEPARATOR.join(
        FACET_SEPARATOR.join(part.replace(FACET_SEPARATOR, " ").replace(ENTRY_SEPARATOR, " ") for part in entry)
        for entry in entries
    )


# Decoded facet texts, by text: every search decodes the facet values of its few hundred candidates, mostly the same
# documents again. Keyed by the text itself, so an index write never leaves a stale entry; cleared when full.
DECODED_FACETS_KEPT = 20_000
_decoded: dict[str, list[tuple[str, str, str]]] = {}
_facet_maps: dict[str, dict[str, list[tuple[str, str]]]] = {}


def decode_facets(text: str) -> list[tuple[str, str, str]]:
    """A document's (facet, value, label) entries from its stored facet text (shared: do not change the list)."""
    if not text:
        return []
    found = _decoded.get(text)
    if found is None:
        found = [tuple(entry.split(FACET_SEPARATOR)) for entry in text.split(ENTRY_SEPARATOR)]
        if len(_decoded) >= DECODED_FACETS_KEPT:
            _decoded.clear()
        _decoded[text] = found
    return found


def facet_map(text: str) -> dict[str, list[tuple[str, str]]]:
    """A document's facet values as facet → [(value, label)] from its stored facet text (shared: do not change)."""
    found = _facet_maps.get(text)
    if found is None:
        found = {}
        for facet, value, label in decode_facets(text):
            found.setdefault(facet, []).append((value, label))
        if len(_facet_maps) >= DECODED_FACETS_KEPT:
            _facet_maps.clear()
        _facet_maps[text] = found
    return found


def count_signatures(deltas: Counter) -> None:
    """Add `deltas` (a document's `facet_text` → the change in how many documents hold it) to SearchFacetSignature;
    rows that reach 0 are deleted. Index writers call it inside their transaction while holding the writer lock
    (`DatabaseEngine._writing`), so the rows change with the documents and no two writers adjust one at once."""
    by_digest = {hashlib.sha256(text.encode()).hexdigest(): (text, n) for text, n in deltas.items() if n}
    if not by_digest:
        return
    existing = SearchFacetSignature.objects.in_bulk(list(by_digest), field_name="digest")
    created, changed, gone = [], [], []
    for digest, (text, n) in by_digest.items():
        row = existing.get(digest)
        if row is None:
            if n > 0:  # a removal of a document no row counts cannot happen under the writer lock
                created.append(SearchFacetSignature(digest=digest, facet_text=text, documents=n))
            continue
        row.documents += n
        (changed if row.documents > 0 else gone).append(row)
    SearchFacetSignature.objects.bulk_create(created, batch_size=BATCH)
    SearchFacetSignature.objects.bulk_update(changed, ["documents"], batch_size=BATCH)
    SearchFacetSignature.objects.filter(pk__in=[row.pk for row in gone]).delete()


def signature_counts(
    rows: Iterable[tuple[str, int]], selected: dict[str, set[str]], facets: bool
) -> tuple[int, dict[str, dict[str, tuple[int, str]]]]:
    """(total, facet → value → (count, label)) of (facet_text, documents) rows under the `selected` values (OR
    within a facet, AND across facets): each facet's counts apply the other facets' selections, as
    `DatabaseEngine._facet_counts` counts the documents themselves."""
    total, counts, labels = 0, Counter(), {}
    for text, n in rows:
        entries = decode_facets(text)
        missing = set(selected)
        for facet, value, _ in entries:
            if facet in missing and value in selected[facet]:
                missing.discard(facet)
        if not missing:
            total += n
        if facets and len(missing) <= 1:
            for facet, value, label in entries:
                if not missing or facet in missing:
                    counts[facet, value] += n
                    labels[facet, value] = max(labels.get((facet, value), ""), label)
    facet_counts: dict[str, dict[str, tuple[int, str]]] = {}
    for (facet, value), count in counts.items():
        facet_counts.setdefault(facet, {})[value] = (count, labels[facet, value] or value)
    return total, facet_counts


# The empty-query page's orders, each as streams: (condition, its parameters, order) that split the documents so
# that an index reads each stream in ORDER_BY's order (within a decay stream the score is the boost times a
# constant). The first offset + limit documents of every stream hold the page whatever the offset; ordered again by
# ORDER_BY, they give it (`DatabaseEngine._browse_page`). Parameters: "cutoff" (decay_cutoff), "now".
# The decayed streams first ask (once, through search_doc_ended) whether any document is decayed: without that, an
# index with none would be walked to its end looking for them.
_FRESH = "(d.ended_at IS NULL OR d.ended_at >= %s)"
_DECAYED = f"d.ended_at < %s AND EXISTS (SELECT 1 FROM {DOC_TABLE} e WHERE e.ended_at < %s)"
BROWSE_STREAMS = {
    "relevance": ((_FRESH, ["cutoff"], "d.boost DESC, d.id"), (_DECAYED, ["cutoff", "cutoff"], "d.boost DESC, d.id")),
    "newest": (
        ("d.published_at IS NOT NULL", [], "d.published_at DESC, d.id DESC"),
        ("d.published_at IS NULL", [], "d.id DESC"),
    ),
    "popularity": (
        (_FRESH, ["cutoff"], "d.popularity DESC, d.boost DESC, d.id"),
        (_DECAYED, ["cutoff", "cutoff"], "d.popularity DESC, d.boost DESC, d.id"),
    ),
    "start_date": (
        ("d.start_date >= %s", ["now"], "d.start_date, score DESC, d.id"),
        ("d.start_date < %s", ["now"], "d.start_date DESC, score DESC, d.id"),
        (f"d.start_date IS NULL AND {_FRESH}", ["cutoff"], "d.boost DESC, d.id"),
        (f"d.start_date IS NULL AND {_DECAYED}", ["cutoff", "cutoff"], "d.boost DESC, d.id"),
    ),
}


def sort_rows(rows: list, sort: str, now=None) -> None:
    """Sort (id, score, popularity, published_at, start_date, ...) rows in place like ORDER_BY does in SQL; `now`
    (as the database returns datetimes) splits upcoming from past starts."""
    rows.sort(key=lambda row: row[0])  # ties: lowest id first (for "newest", highest: reversed below)
    if sort == "newest":
        rows.sort(key=lambda row: row[0], reverse=True)
        rows.sort(key=lambda row: (row[3] is not None, row[3] or ""), reverse=True)
    elif sort == "start_date":
        rows.sort(key=lambda row: -row[1])
        upcoming = sorted((row for row in rows if row[4] is not None and row[4] >= now), key=lambda row: row[4])
        past = sorted(
            (row for row in rows if row[4] is not None and row[4] < now), key=lambda row: row[4], reverse=True
        )
        rows[:] = upcoming + past + [row for row in rows if row[4] is None]
    elif sort == "popularity":
        rows.sort(key=lambda row: (-row[2], -row[1]))
    else:
        rows.sort(key=lambda row: -row[1])


def _now_value():
    """Now, as a query parameter."""
    from django.utils import timezone

    return connection.ops.adapt_datetimefield_value(timezone.now())


def _now_row_value():
    """Now, comparable with the datetimes a raw cursor returns (naive UTC on SQLite, aware on PostgreSQL)."""
    from django.utils import timezone

    now = timezone.now()
    return now.replace(tzinfo=None) if connection.vendor == "sqlite" else now


def add_vocabulary(documents: list[IndexDocument], counter: Counter | None = None) -> None:
    """Record the documents' words for typo tolerance: in `counter` during a rebuild, else in the table."""
    words: set[str] = set()
    for doc in documents:
        doc_words = vocabulary(f"{doc.title} {doc.people} {doc.body}")
        words |= doc_words
        if counter is not None:
            counter.update(doc_words)
    if counter is None and words:
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=word[:64]) for word in words], ignore_conflicts=True, batch_size=2000
        )


def replace_vocabulary(counter: Counter) -> None:
    """Replace the vocabulary with the words counted during a rebuild (call inside the rebuild's transaction)."""
    SearchTerm.objects.all().delete()
    SearchTerm.objects.bulk_create(
        [SearchTerm(term=word[:64], frequency=count) for word, count in counter.items()],
        ignore_conflicts=True,
        batch_size=2000,
    )


def dialect_for(vendor: str) -> Dialect:
    if vendor == "postgresql":
        return PostgresDialect()
    if vendor == "sqlite":
        return SQLiteDialect()
    raise NotImplementedError(f"the database search engine supports SQLite and PostgreSQL, not {vendor}")


def _request_candidates(cursor, request: SearchRequest, **options):
    """`postings.candidates` (sql, params) for `request`'s words, term weights and phrases; `options` are its own
    (exhaustive, documents, among, filters)."""
    return postings.candidates(
        cursor, request.all_terms, weights=request.term_weights, phrases=request.phrases, **options
    )


class DatabaseEngine(SearchEngine):
    """Search in the project's own database (SQLite FTS5 or PostgreSQL full-text search)."""

    name = "database"

    @property
    def dialect(self) -> Dialect:
        return dialect_for(connection.vendor)

    # --- Writing ---------------------------------------------------------------------------------

    def _write(
        self, documents: list[IndexDocument], terms: Counter | None = None, stems: Counter | None = None
    ) -> None:
        keys = [doc.key for doc in documents]
        facets = [facet_entries(doc.facets) for doc in documents]
        texts = [encode_facets(entries) for entries in facets]
        self._delete_keys(keys)
        rows = SearchDocument.objects.bulk_create(
            [
                SearchDocument(
                    key=doc.key,
                    kind=doc.kind,
                    object_id=doc.object_id,
                    doc_type=doc.doc_type,
                    title=doc.title[:512],
                    url=doc.url[:2048],
                    image_url=doc.image_url[:2048],
                    summary=doc.summary,
                    people=doc.people,
                    body=doc.body,
                    content=doc.content,
                    boost=doc.boost,
                    popularity=doc.popularity,
                    published_at=doc.published_at,
                    start_date=doc.start_date,
                    ended_at=doc.ended_at,
                    display=doc.display,
                    facet_text=text,
                )
                for doc, text in zip(documents, texts, strict=True)
            ]
        )
        count_signatures(Counter(texts))
        if rows and rows[0].pk is None:  # databases without RETURNING on bulk insert
            ids = dict(SearchDocument.objects.filter(key__in=keys).values_list("key", "pk"))
            for row in rows:
                row.pk = ids[row.key]
        SearchFacetValue.objects.bulk_create(
            [
                SearchFacetValue(document_id=row.pk, facet=facet, value=value, label=label)
                for row, entries in zip(rows, facets, strict=True)
                for facet, value, label in entries
            ],
            batch_size=2000,
        )
        pairs = [(row.pk, doc) for row, doc in zip(rows, documents, strict=True)]
        with connection.cursor() as cursor:
            self.dialect.write_text(cursor, pairs)
        postings.write(pairs, stems)
        add_vocabulary(documents, terms)

    def _delete_keys(self, keys: list[str]) -> int:
        rows = list(SearchDocument.objects.filter(key__in=keys).values_list("pk", "facet_text"))
        ids = [pk for pk, _ in rows]
        if ids:
            count_signatures(Counter({text: -n for text, n in Counter(text for _, text in rows).items()}))
            with connection.cursor() as cursor:
                self.dialect.delete_text(cursor, ids)
            postings.delete(ids)
            SearchFacetValue.objects.filter(document_id__in=ids).delete()
            SearchDocument.objects.filter(pk__in=ids).delete()
        return len(ids)

    @contextmanager
    def _writing(self):
        """A transaction in which this process is the only index writer (index tasks run on several workers)."""
        with transaction.atomic():
            with connection.cursor() as cursor:
                self.dialect.lock_writers(cursor)
            yield

    def index(self, documents: Iterable[IndexDocument]) -> int:
        written, batch = 0, []
        with self._writing():
            for doc in documents:
                batch.append(doc)
                if len(batch) >= BATCH:
                    self._write(batch)
                    written += len(batch)
                    batch = []
            if batch:
                self._write(batch)
                written += len(batch)
            index_changed()
        return written

    def delete(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        deleted = 0
        with self._writing():
            for start in range(0, len(keys), BATCH):
                deleted += self._delete_keys(keys[start : start + BATCH])
            index_changed()
        return deleted

    def rebuild(self, documents, *, total=None, progress=None) -> int:
        """Rebuild inside one transaction: other connections keep reading the old index until it commits."""
        written, batch, terms, stems = 0, [], Counter(), Counter()
        with self._writing():
            with connection.cursor() as cursor:
                self.dialect.delete_text(cursor, None)
            postings.clear()
            SearchFacetValue.objects.all().delete()
            SearchFacetSignature.objects.all().delete()
            SearchDocument.objects.all().delete()
            for doc in documents:
                batch.append(doc)
                if len(batch) >= BATCH:
                    self._write(batch, terms, stems)
                    written += len(batch)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._write(batch, terms, stems)
                written += len(batch)
                if progress:
                    progress(len(batch))
            replace_vocabulary(terms)
            postings.replace_stems(stems)
            index_changed()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Fresh statistics, and a visibility map so reading postings is an index-only scan (otherwise each
            # query visits the table until autovacuum gets round to millions of new rows).
            with connection.cursor() as cursor:
                for table in (POSTING_TABLE, DOC_TABLE, FACET_TABLE, postings.STEM_TABLE):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        return written

    # --- Reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        return SearchDocument.objects.count()

    def indexed_keys(self) -> set[str]:
        return set(SearchDocument.objects.values_list("key", flat=True))

    def search(self, request: SearchRequest) -> SearchResults:
        with connection.cursor() as cursor:
            if request.is_browse:
                page, total, facet_counts, capped = self._browse(cursor, request)
            else:
                page, total, facet_counts, capped = self._match(cursor, request)
        ids = [pk for pk, _ in page]
        scores = dict(page)
        highlight = request.highlight and not request.is_browse
        documents = SearchDocument.objects.defer("people", "content", "facet_text")
        if highlight:  # snippets come from the body, else from the start of the content
            documents = documents.annotate(content_head=Substr("content", 1, postings.SNIPPET_SCAN_CHARS))
        else:
            documents = documents.defer("body")
        documents = documents.in_bulk(ids)
        stems = set(postings.query_stems(request.all_terms)) if highlight else set()
        hits = []
        for pk in ids:
            document = documents.get(pk)
            if document is None:  # removed between the two queries
                continue
            title_marked = snippet_marked = ""
            if highlight:
                title_marked = postings.mark_title(document.title, stems)
                snippet_marked = postings.snippet(document.body, stems) or postings.snippet(
                    document.content_head, stems
                )
            hits.append(_hit(document, scores[pk], title_marked, snippet_marked))
        return SearchResults(
            total=total, hits=hits, facet_counts=facet_counts, total_capped=capped, facets_estimated=capped
        )

    def ranked_ids(self, request: SearchRequest, selections: dict[str, dict[str, list[str]]] | None = None):
        """A text query's relevance page as (document id, score), best first, without reading the documents, with
        the total of its matches and whether that is an estimate: hybrid search's lexical ranking (search.semantic)
        reads the few columns it needs of them together with its other candidates.

        With `selections` (name → facet filters, in place of `request.filters`), one such ranking per selection,
        {name: (page, total, estimated)}, from one read of the query's candidates: each is what `ranked_ids` of the
        request with that selection gives (only the first selection is counted beyond its page when
        `request.count`; the others' totals count their ranked candidates). Relevance order only."""
        if selections is None:
            with connection.cursor() as cursor:
                page, total, _, capped = self._match(cursor, request)
            return page, total, capped
        with connection.cursor() as cursor:
            return self._ranked_selections(cursor, request, selections)

    def matching_ids(self, request: SearchRequest, ids: Iterable[int]) -> set[int]:
        """Which of the index documents `ids` match `request`'s words by the rule its totals count (`_match`),
        whatever its filters: hybrid search counts the union of keyword matches and semantic neighbours."""
        ids = list(ids)
        if not ids or request.is_browse:
            return set()
        with connection.cursor() as cursor:
            sql, params = _request_candidates(cursor, request, exhaustive=True, among=ids)
            cursor.execute(sql, params)
            return {row[0] for row in cursor.fetchall()}

    def _ranked_selections(self, cursor, request: SearchRequest, selections: dict[str, dict[str, list[str]]]):
        """`ranked_ids` per selection: the stems, the bounded candidates and their rows are read once; each selection
        filters a copy (and reads its own filtered candidates when the shared ones hold too few, as `_match`
        does)."""
        documents = postings.stem_documents(cursor, request.all_terms)
        bound = postings.match_bound(documents)
        candidates_read = bound <= min(postings.PER_TERM, postings.MAX_CANDIDATES) or bound > EXACT_COUNT_LIMIT
        sql, params = _request_candidates(cursor, request, documents=documents)
        cursor.execute(sql, params)
        shared_ranks = dict(cursor.fetchall())
        shared_rows = self._fetch_candidates(cursor, shared_ranks) if shared_ranks else []
        result = {}
        for index, (name, filters) in enumerate(selections.items()):
            if not shared_ranks:
                result[name] = ([], 0, False)
                continue
            selected_request = replace(request, filters=filters)
            ranks, rows = dict(shared_ranks), list(shared_rows)
            selected = {facet: set(chosen) for facet, chosen in filters.items() if chosen}
            matching = self._filter_and_count(rows, selected, False)[0]
            many = len(ranks) >= postings.MAX_CANDIDATES
            short = many and selected and len(matching) < request.offset + request.limit
            if short and self._add_filtered_candidates(cursor, selected_request, selected, documents, ranks, rows):
                matching = self._filter_and_count(rows, selected, False)[0]
            sort_rows(matching, "relevance")
            page = [(row[0], float(row[1] or 0)) for row in matching[request.offset : request.offset + request.limit]]
            total, estimated = len(matching), candidates_read and many
            if index == 0 and request.count and not candidates_read:
                # Every match counted: the candidates plus the matches after them (`_match`'s exact path).
                exhaustive = _request_candidates(cursor, request, exhaustive=True, documents=documents)
                rest = self._select(cursor, selected_request, exhaustive, exclude=list(ranks), limit=0)[1]
                total += rest
            result[name] = (page, total, estimated)
        return result

    # A text query. Its matches are every document the query's words select by the postings' rule (a stem of a
    # typed word, a typo fix or a one-word synonym; PHRASE_SHARE of a synonym phrase's stems: see
    # `postings.candidates`): the total, the facet counts and the date and popularity sorts cover all of them, in
    # SQL. Relevance order starts with the bounded candidates (at most postings.MAX_CANDIDATES, fetched once with
    # their ranking inputs and facet values and filtered here), ranked as ever; the other matches follow them, by
    # their rank over all of their postings, so that paging to the end shows every match once.

    def _match(self, cursor, request: SearchRequest):
        documents = postings.stem_documents(cursor, request.all_terms)
        bound = postings.match_bound(documents)
        if bound <= min(postings.PER_TERM, postings.MAX_CANDIDATES) or bound > EXACT_COUNT_LIMIT:
            # Few enough for the bounded read to hold every match (each stem's postings read whole, none cut):
            # exact, counted over the candidates as ever. Or too many to count: estimated over them.
            return self._match_candidates(cursor, request, documents)
        exhaustive = _request_candidates(cursor, request, exhaustive=True, documents=documents)
        if request.sort != "relevance" and request.sort in ORDER_BY:
            return self._select(cursor, request, exhaustive)
        sql, params = _request_candidates(cursor, request, documents=documents)
        cursor.execute(sql, params)
        ranks = dict(cursor.fetchall())
        if not ranks:
            return [], 0, {}, False
        selected = {facet: set(chosen) for facet, chosen in request.filters.items() if chosen}
        rows = self._fetch_candidates(cursor, ranks)
        matching = self._filter_and_count(rows, selected, False)[0]
        short = len(ranks) >= postings.MAX_CANDIDATES and selected and len(matching) < request.offset + request.limit
        # The filtered read ranks a rare selection's matches at the top, as they would rank unfiltered.
        if short and self._add_filtered_candidates(cursor, request, selected, documents, ranks, rows):
            matching = self._filter_and_count(rows, selected, False)[0]
        sort_rows(matching, "relevance")
        head = [(row[0], float(row[1] or 0)) for row in matching[request.offset : request.offset + request.limit]]
        if not request.count and not request.facets and request.offset + request.limit <= len(matching):
            return head, len(matching), {}, False
        if request.ranked_only:  # the matches after the candidates are counted, not shown
            tail, rest, facet_counts, _ = self._select(cursor, request, exhaustive, exclude=list(ranks), limit=0)
            return head, len(matching) + rest, facet_counts, False
        # The rest of the page, the total and the facet counts from every match; the candidates (every one of
        # them, matching the selection or not) are left out of the rest, so none is shown twice.
        tail, rest, facet_counts, _ = self._select(
            cursor,
            request,
            exhaustive,
            exclude=list(ranks),
            offset=max(0, request.offset - len(matching)),
            limit=request.offset + request.limit - max(request.offset, len(matching)),
        )
        return head + tail, len(matching) + rest, facet_counts, False

    def _add_filtered_candidates(self, cursor, request, selected, documents, ranks: dict, rows: list) -> bool:
        """The best matches overall hold too few with the selected values (a rare offeror, say): read the best
        matches that hold them too, adding them to `ranks` and `rows`. True when any were added."""
        filters = {facet: sorted(values) for facet, values in selected.items()}
        sql, params = _request_candidates(cursor, request, filters=filters, documents=documents)
        cursor.execute(sql, params)
        more = {pk: rank for pk, rank in cursor.fetchall() if pk not in ranks}
        if more:
            ranks.update(more)
            rows += self._fetch_candidates(cursor, more)
        return bool(more)

    def _match_candidates(self, cursor, request: SearchRequest, documents=None):
        """A text query filtered, sorted and counted over its bounded candidates only, in Python: exact when they
        are all of its matches, else (a query too common to count: EXACT_COUNT_LIMIT) estimates, said with
        `capped`."""
        sql, params = _request_candidates(cursor, request, documents=documents)
        cursor.execute(sql, params)
        ranks = dict(cursor.fetchall())
        if not ranks:
            return [], 0, {}, False
        capped = len(ranks) >= postings.MAX_CANDIDATES
        selected = {facet: set(chosen) for facet, chosen in request.filters.items() if chosen}
        rows = self._fetch_candidates(cursor, ranks)
        matching, counts, labels = self._filter_and_count(rows, selected, request.facets)
        short = capped and selected and len(matching) < request.offset + request.limit
        if short and self._add_filtered_candidates(cursor, request, selected, documents, ranks, rows):
            matching, counts, labels = self._filter_and_count(rows, selected, request.facets)
        facet_counts: dict[str, dict[str, tuple[int, str]]] = {}
        for (facet, value), count in counts.items():
            facet_counts.setdefault(facet, {})[value] = (count, labels[facet, value] or value)
        sort_rows(matching, request.sort, now=_now_row_value())
        page = [(row[0], float(row[1] or 0)) for row in matching[request.offset : request.offset + request.limit]]
        return page, len(matching), facet_counts, capped

    def _fetch_candidates(self, cursor, ranks: dict[int, float]) -> list[tuple]:
        """(id, score, popularity, published_at, start_date, facet_text) of the candidates, in one query."""
        from ..documents import decay_cutoff

        ids = list(ranks)
        if connection.vendor == "postgresql":
            where, id_params = "d.id = ANY(%s)", [ids]  # one array: an index scan in id order
        else:
            where, id_params = f"d.id IN ({', '.join(['%s'] * len(ids))})", ids
        cursor.execute(
            f"SELECT d.id, d.boost, d.ended_at < %s, d.popularity, d.published_at, d.start_date, d.facet_text "
            f"FROM {DOC_TABLE} d WHERE {where}",
            [connection.ops.adapt_datetimefield_value(decay_cutoff()), *id_params],
        )
        return [
            (pk, ranks[pk] * boost * (DECAY if ended else 1.0), popularity, published_at, start_date, facet_text)
            for pk, boost, ended, popularity, published_at, start_date, facet_text in cursor.fetchall()
        ]

    @staticmethod
    def _filter_and_count(rows: list[tuple], selected: dict[str, set[str]], facets: bool):
        """The rows holding a selected value of every selected facet, and the facet counts: each facet's counts
        apply the other facets' selections (with one selection unmet, only that facet's own values count)."""
        matching, counts, labels = [], Counter(), {}
        for row in rows:
            entries = decode_facets(row[5])
            missing = set(selected)
            for facet, value, _ in entries:
                if facet in missing and value in selected[facet]:
                    missing.discard(facet)
            if not missing:
                matching.append(row)
            if facets and len(missing) <= 1:
                for facet, value, label in entries:
                    if not missing or facet in missing:
                        counts[facet, value] += 1
                        labels[facet, value] = label
        return matching, counts, labels

    # A browse (no text): the whole catalogue, filtered, sorted and counted in SQL.

    def _browse(self, cursor, request: SearchRequest):
        """A browse page (see `_browse_uncached`), cached for SEARCH_BROWSE_CACHE_SECONDS and forgotten on every
        index write (see `index_changed`). Hits are re-checked for publicness by the search service after the
        engine, cached or not."""
        seconds = settings.SEARCH_BROWSE_CACHE_SECONDS
        if not seconds:
            return self._browse_uncached(cursor, request)
        filters = sorted((facet, sorted(values)) for facet, values in request.filters.items() if values)
        key = f"search:browse:{browse_version()}:{request.sort}:{request.offset}:{request.limit}:{request.facets}:"
        key += hashlib.sha256(repr(filters).encode()).hexdigest()[:32]
        cached = cache.get(key)
        if cached is None:
            cached = self._browse_uncached(cursor, request)
            cache.set(key, cached, seconds)
        return cached

    def _browse_uncached(self, cursor, request: SearchRequest):
        """The whole index under the request's selections: the total and the facet counts from
        SearchFacetSignature (rows per set of facet values, not per document), the page from the sort's index-read
        streams. Neither reads every document, so the cost follows the index's variety and the page's depth, not
        its size."""
        selected = {facet: set(values) for facet, values in request.filters.items() if values}
        cursor.execute(f"SELECT facet_text, documents FROM {SIGNATURE_TABLE}")
        total, facet_counts = signature_counts(cursor.fetchall(), selected, request.facets)
        page = self._browse_page(cursor, request) if request.limit > 0 and total > request.offset else []
        return page, total, facet_counts, False

    def _browse_page(self, cursor, request: SearchRequest) -> list[tuple[int, float]]:
        """The page of the whole index in the request's order (`BROWSE_STREAMS`), in one statement: each stream's
        first offset + limit documents (an index read in order, stopping there), ordered again by ORDER_BY."""
        from ..documents import decay_cutoff

        values = {"cutoff": connection.ops.adapt_datetimefield_value(decay_cutoff()), "now": _now_value()}
        filters, filter_params = "", []
        for facet, chosen in request.filters.items():
            if chosen:
                filters += (
                    f" AND EXISTS (SELECT 1 FROM {FACET_TABLE} fv WHERE fv.document_id = d.id AND fv.facet = %s "
                    f"AND fv.value IN ({', '.join(['%s'] * len(chosen))}))"
                )
                filter_params.extend([facet, *chosen])
        columns = (
            f"d.id AS id, d.boost * CASE WHEN d.ended_at < %s THEN {DECAY} ELSE 1.0 END AS score, "
            "d.popularity AS popularity, d.published_at AS published_at, d.start_date AS start_date"
        )
        sort = request.sort if request.sort in BROWSE_STREAMS else "relevance"
        streams, params = [], []
        for index, (condition, names, order) in enumerate(BROWSE_STREAMS[sort]):
            streams.append(
                f"SELECT * FROM (SELECT {columns} FROM {DOC_TABLE} d WHERE {condition}{filters} "
                f"ORDER BY {order} LIMIT %s) s{index}"
            )
            params += [values["cutoff"], *(values[name] for name in names), *filter_params]
            params.append(request.offset + request.limit)
        order = ORDER_BY[sort]
        cursor.execute(
            f"SELECT m.id, m.score FROM ({' UNION ALL '.join(streams)}) m ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, *[values["now"]] * order.count("%s"), request.limit, request.offset],
        )
        return [(pk, float(score or 0)) for pk, score in cursor.fetchall()]

    def _select(self, cursor, request: SearchRequest, source=None, *, exclude=(), offset=None, limit=None):
        """(page, total, facet counts, False) of the whole catalogue, or of a text query's matches when `source` is
        postings.candidates' exhaustive (sql, params): filtered, sorted, paged and counted in SQL. `exclude`: ids
        left out of the page and the total (not of the facet counts); `offset`/`limit` default to the request's."""
        from ..documents import decay_cutoff

        offset = request.offset if offset is None else offset
        limit = request.limit if limit is None else limit
        flags, flag_params, flag_keys = [], [connection.ops.adapt_datetimefield_value(decay_cutoff())], []
        for facet, values in request.filters.items():
            if not values:
                continue
            flag_keys.append(facet)
            flags.append(
                f"d.id IN (SELECT document_id FROM {FACET_TABLE} WHERE facet = %s "
                f"AND value IN ({', '.join(['%s'] * len(values))})) AS f_{len(flags)}"
            )
            flag_params.extend([facet, *values])
        if source is None:
            rank, origin = "", f"{DOC_TABLE} d"
        else:
            rank, origin = "x.rank * ", f"({source[0]}) x JOIN {DOC_TABLE} d ON d.id = x.id"
            flag_params.extend(source[1])
        columns = ", ".join(
            [
                "d.id AS id",
                f"{rank}d.boost * CASE WHEN d.ended_at < %s THEN {DECAY} ELSE 1.0 END AS score",
                "d.popularity AS popularity",
                "d.published_at AS published_at",
                "d.start_date AS start_date",
                *flags,
            ]
        )
        # MATERIALIZED: match and filter once; the planner must not re-run the facet filters per facet row.
        cte = f"WITH m AS MATERIALIZED (SELECT {columns} FROM {origin})"
        every = " AND ".join(f"m.f_{i}" for i in range(len(flag_keys))) or "1 = 1"
        every_params = []
        if exclude:
            if connection.vendor == "postgresql":
                every += " AND NOT (m.id = ANY(%s))"
                every_params = [list(exclude)]
            else:
                every += f" AND m.id NOT IN ({', '.join(['%s'] * len(exclude))})"
                every_params = list(exclude)
        order = ORDER_BY.get(request.sort, ORDER_BY["relevance"])
        rows, total = [], None
        if limit > 0:
            cursor.execute(
                f"{cte} SELECT m.id, m.score, COUNT(*) OVER () FROM m WHERE {every} ORDER BY {order} "
                "LIMIT %s OFFSET %s",
                [*flag_params, *every_params, *[_now_value()] * order.count("%s"), limit, offset],
            )
            rows = cursor.fetchall()
            if rows or not offset:
                total = rows[0][2] if rows else 0
        # The total (when the page did not tell it) in the same statement as the facet counts: one pass of the CTE.
        count = (every, every_params) if total is None else None
        facet_counts = {}
        if request.facets:
            facet_counts, counted = self._facet_counts(cursor, cte, flag_params, flag_keys, count)
            total = counted if total is None else total
        elif total is None:
            cursor.execute(f"{cte} SELECT COUNT(*) FROM m WHERE {every}", [*flag_params, *every_params])
            total = cursor.fetchone()[0]
        return [(row[0], float(row[1] or 0)) for row in rows], total, facet_counts, False

    def _facet_counts(self, cursor, cte, params, flag_keys, count=None):
        """(facet → value → (count, label), total): each facet's counts apply every other facet's selection (OR
        within a facet, AND across facets). With `count` ((where, params) of the rows to count), the same statement
        counts them too (else the total is None)."""
        where, case_params = "", []
        if flag_keys:
            cases = []
            for index, facet in enumerate(flag_keys):
                others = " AND ".join(f"m.f_{i}" for i in range(len(flag_keys)) if i != index) or "1 = 1"
                cases.append(f"WHEN %s THEN ({others})")
                case_params.append(facet)
            every = " AND ".join(f"m.f_{i}" for i in range(len(flag_keys)))
            where = f"WHERE CASE fv.facet {' '.join(cases)} ELSE ({every}) END"
        sql = (
            f"{cte} SELECT fv.facet, fv.value, MAX(fv.label), COUNT(*) FROM m "
            f"JOIN {FACET_TABLE} fv ON fv.document_id = m.id {where} GROUP BY fv.facet, fv.value"
        )
        count_params = []
        if count is not None:
            sql += f" UNION ALL SELECT NULL, NULL, NULL, COUNT(*) FROM m WHERE {count[0]}"
            count_params = count[1]
        cursor.execute(sql, [*params, *case_params, *count_params])
        counts: dict[str, dict[str, tuple[int, str]]] = {}
        total = None
        for facet, value, label, number in cursor.fetchall():
            if facet is None:
                total = number
            else:
                counts.setdefault(facet, {})[value] = (number, label or value)
        return counts, total

    def suggest(self, prefix_terms, limit=8):
        if not prefix_terms:
            return []
        source, params, score, score_params = self.dialect.match(prefix_terms, prefix_last=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.id FROM (SELECT d.id AS id, ({score}) * d.boost AS score {source}) d "
                "ORDER BY score DESC, id LIMIT %s",
                [*score_params, *params, limit],
            )
            ids = [row[0] for row in cursor.fetchall()]
        documents = SearchDocument.objects.defer("people", "body", "content").in_bulk(ids)
        return [_hit(documents[pk], 0.0, "", "") for pk in ids if pk in documents]

    def typo_candidates(self, term: str) -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            return self.dialect.typo_candidates(cursor, term)


def _hit(document: SearchDocument, score: float, title_marked: str, snippet_marked: str) -> SearchHit:
    from django.utils.html import escape

    return SearchHit(
        key=document.key,
        kind=document.kind,
        object_id=document.object_id,
        doc_type=document.doc_type,
        title=document.title,
        url=document.url,
        summary=document.summary,
        image_url=document.image_url,
        score=score,
        title_html=marked_to_html(title_marked) if title_marked else escape(document.title),
        snippet_html=marked_to_html(snippet_marked) if snippet_marked else "",
        display=document.display,
        published_at=document.published_at,
        start_date=document.start_date,
    )

"""The search quality gate on real catalogues: the Udemy, Coursera and MIT OCW course lists are imported with the
generic CSV importer, indexed and embedded once for this module, and the reporting half of the judged set
(search/eval/real) must keep its committed nDCG@10 in the default (hybrid) and the keyword mode, give every
answerable query results and say "no close match" to the unanswerable ones; and every judged query's top 10 in
every mode must be the committed golden one (written on SQLite), so SQLite and PostgreSQL behave alike.

Slow (imports and embeds 5,371 courses: a few minutes on a busy machine); skipped without ../shared/realdata.
"""

import importlib
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, models, transaction
from django.db.models.signals import post_delete

import pytest
from django_q.models import Task

from catalog.models import LearningResource
from search import names, semantic
from search.documents import all_documents, document_count
from search.engines import get_engine
from search.eval import evaluate, golden_differences, read_golden, read_judged_queries, read_qrels
from search.models import Synonym
from search.service import DEFAULT_MODE, clear_synonym_cache
from search.vectors import index as vector_index
from search.vectors.encoders import get_encoder
from search.vectors.index import CHUNKS, RESOURCES, embed_resources, ensure_collections, public_resources
from search.vectors.stores import EmbeddedVectorStore
from search.vectors.sync import on_resource_deleted
from tests.conftest import REALDATA, REPO_ROOT

pytestmark = [pytest.mark.realdata, pytest.mark.django_db]

JUDGED = REPO_ROOT / "search" / "eval" / "real"
CATALOGUES = [
    ("udemy_courses.csv", "udemy_courses.yaml"),
    ("coursera_courses.csv", "coursera_courses.yaml"),
    ("mit_ocw_courses_808.json", "mit_ocw_courses.json"),
]
# The reporting half's nDCG@10 over its answerable queries, as measured when the set was committed
# (bench/RESULTS.md, "Search quality on real catalogues"); a change that loses more than TOLERANCE fails.
COMMITTED = {"hybrid": 0.918, "lexical": 0.838}
TOLERANCE = 0.02
VECTOR_REMOVAL = "search.vectors.resource_deleted"
APPS = ("catalog", "importers", "search", "news")


def _shipped_synonyms_only() -> list[dict]:
    """Make the synonym table exactly the shipped default set, with no stale cache; returns what it held before.

    The judged figures and the golden rankings were measured with the defaults (migration search.0008). In the
    whole suite the table may hold something else by now (CI found the ML and AI queries scored differently), so
    the gate sets it rather than trusting it, and puts the old rows back afterwards."""
    before = list(Synonym.objects.values())
    Synonym.objects.all().delete()
    importlib.import_module("search.migrations.0008_default_synonyms").add_defaults(apps, None)
    clear_synonym_cache()
    names.clear_cache()
    return before


def _restore_synonyms(rows: list[dict]) -> None:
    Synonym.objects.all().delete()
    Synonym.objects.bulk_create(Synonym(**row) for row in rows)
    clear_synonym_cache()
    names.clear_cache()


def _high_water_marks() -> dict:
    marks = {}
    for app in APPS:
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            if isinstance(model._meta.pk, models.AutoField | models.BigAutoField):
                marks[model] = model.objects.aggregate(top=models.Max("pk"))["top"] or 0
    return marks


def _remove_rows_added_since(marks: dict) -> None:
    """Delete what the module added (its rows are committed: they outlive each test's transaction). Plain DELETE
    statements, table by table, without the ORM's per-object collection and signals (the search index and the
    vector store are emptied by the caller): a table still referenced is retried after the others."""
    pending = list(marks.items())
    while pending:
        left = []
        for model, top in pending:
            try:
                with transaction.atomic():
                    model.objects.filter(pk__gt=top)._raw_delete(model.objects.db)
            except IntegrityError:
                left.append((model, top))
        if len(left) == len(pending):
            names = ", ".join(model._meta.label for model, _ in left)
            raise AssertionError(f"the quality gate could not remove its rows from: {names}")
        pending = left


@pytest.fixture(scope="module")
def real_catalogue(django_db_setup, django_db_blocker, tmp_path_factory):
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    encoder = get_encoder()
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        marks = _high_water_marks()
        synonyms_before = _shipped_synonyms_only()
        tasks_before = set(Task.objects.values_list("id", flat=True))
        store = EmbeddedVectorStore(Path(tmp_path_factory.mktemp("vectors")))
        # Searches, the evaluation's replica sync and the removal of deleted resources all use this store.
        patch.setattr(semantic, "get_vector_store", lambda: store)
        patch.setattr(vector_index, "get_vector_store", lambda: store)
        try:
            for data, mapping in CATALOGUES:
                call_command(
                    "import",
                    "csv_catalog",
                    "--file",
                    str(REALDATA / "catalog_datasets" / data),
                    "--mapping",
                    str(REPO_ROOT / "importers" / "mappings" / mapping),
                    "--no-progress",
                    stdout=StringIO(),
                    stderr=StringIO(),
                )
            get_engine("database").rebuild(all_documents(), total=document_count())
            ensure_collections(store, encoder)
            embed_resources(list(public_resources()), store=store, encoder=encoder)
            store.sync(RESOURCES)  # else the first searches find the replica catching up and fall back
            yield store
        finally:
            store.drop(RESOURCES)
            store.drop(CHUNKS)
            store.close()
            # The store is gone: removing each deleted resource's vector by task (5,371 tasks) is not needed.
            post_delete.disconnect(sender=LearningResource, dispatch_uid=VECTOR_REMOVAL)
            try:
                _remove_rows_added_since(marks)
                _restore_synonyms(synonyms_before)
                Task.objects.exclude(id__in=tasks_before).delete()  # the imports' and index updates' results
            finally:
                post_delete.connect(on_resource_deleted, sender=LearningResource, dispatch_uid=VECTOR_REMOVAL)
            # The committed index held nothing before this module (each test indexes inside its transaction):
            # leave it empty, not holding the pages the migrations made.
            get_engine("database").rebuild([], total=0)


@pytest.fixture(scope="module")
def all_reports(real_catalogue):
    """Every judged query (both halves) in every mode: the golden rankings cover them all."""
    queries = read_judged_queries(JUDGED / "queries.tsv")
    judgments = read_qrels(JUDGED / "qrels.tsv")
    return {mode: evaluate(queries, judgments, mode=mode) for mode in ("hybrid", "lexical", "semantic")}


@pytest.fixture(scope="module")
def reports(all_reports):
    """The reporting half: the quality figure."""
    return {mode: report.subset(split="report") for mode, report in all_reports.items()}


def test_the_judged_set_is_real_and_split(real_catalogue):
    queries = read_judged_queries(JUDGED / "queries.tsv")
    judgments = read_qrels(JUDGED / "qrels.tsv")
    assert len(queries) >= 60
    assert {query.split for query in queries.values()} == {"tune", "report"}
    kinds = {query.kind for query in queries.values()}
    assert {"topic1", "topic2", "need", "question", "typo", "acronym", "person", "institution", "noanswer"} <= kinds
    # Every judged document is a course of the imported catalogues, and negatives were judged too.
    imported = {f"csv_catalog:{sid}" for sid in LearningResource.objects.values_list("source_id", flat=True)}
    documents = {doc for judged in judgments.values() for doc in judged}
    assert documents <= imported
    assert sum(1 for judged in judgments.values() for grade in judged.values() if grade == 0) > 500


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_reporting_half_keeps_its_committed_ndcg(reports, mode):
    report = reports[mode]
    assert report.fallbacks == 0, "searches fell back to keywords: the vectors were not used"
    answerable = report.subset(answerable=True)
    assert answerable.ndcg10 >= COMMITTED[mode] - TOLERANCE, {
        score.query_id: round(score.ndcg10, 3) for score in answerable.scores
    }


def test_default_mode_beats_keywords_and_answers_every_answerable_query(reports):
    assert DEFAULT_MODE == "hybrid"
    hybrid, lexical = reports["hybrid"], reports["lexical"]
    assert hybrid.subset(answerable=True).ndcg10 > lexical.subset(answerable=True).ndcg10
    assert hybrid.answerable_zero_results == 0


def test_unanswerable_queries_get_no_close_match_and_answerable_ones_do_not(reports):
    flagged, unanswerable, wrongly, answerable = reports["hybrid"].no_close_match_accuracy()
    assert unanswerable >= 3
    assert flagged == unanswerable
    assert wrongly <= 1, [
        score.query for score in reports["hybrid"].scores if score.answerable and score.no_close_match
    ]


def test_every_database_gives_the_golden_top_10(all_reports):
    """One behaviour on SQLite and PostgreSQL: each judged query's top 10 in each mode is the one written on SQLite
    (search/eval/real/golden.tsv, `search_eval --golden`), up to reordering among equal scores. After a deliberate
    ranking change, write it again on SQLite and commit it with the change."""
    golden = read_golden(JUDGED / "golden.tsv")
    assert {mode for mode, _ in golden} == set(all_reports)
    differences = golden_differences(all_reports.values(), golden)
    assert not differences, "\n".join(f"{query}: {what}" for query, what in differences.items())

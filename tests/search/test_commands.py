"""search_rebuild and search_eval."""

from io import StringIO

from django.core.management import CommandError, call_command

import pytest

from catalog.factories import CourseFactory
from search.engines import get_engine
from search.eval import score_ranking


def test_search_rebuild_indexes_public_resources_and_replaces_the_old_index(db):
    kept = CourseFactory(title="Fluid dynamics", description="<p>Flows.</p>")
    CourseFactory(title="Hidden", hidden=True)
    engine = get_engine()
    from search.documents import resource_documents

    engine.index(resource_documents([kept.pk]))
    kept.title = "Fluid mechanics"
    kept.save()
    out = StringIO()
    call_command("search_rebuild", "--no-progress", stdout=out)
    assert "the new index is live" in out.getvalue()
    assert f"resource:{kept.pk}" in engine.indexed_keys()
    assert not any(key.startswith("resource:") and key != f"resource:{kept.pk}" for key in engine.indexed_keys())
    from search.service import parse_params, run_search

    assert run_search(parse_params({"q": ["mechanics"]})).total == 1
    assert run_search(parse_params({"q": ["dynamics"]})).total == 0


def test_score_ranking_metrics():
    judged = {"a": 3, "b": 1, "c": 0}
    ndcg, recall, rr = score_ranking(["a", "b"], judged)
    assert ndcg == pytest.approx(1.0) and recall == 1.0 and rr == 1.0
    ndcg, recall, rr = score_ranking(["x", "b", "a"], judged)
    assert 0 < ndcg < 1 and recall == 1.0 and rr == 0.5
    assert score_ranking([], judged) == (0.0, 0.0, 0.0)


def test_search_eval_prints_the_metrics(db, tmp_path):
    course = CourseFactory(title="Linear algebra", source="demo", source_id="la-1")
    CourseFactory(title="Poetry", source="demo", source_id="poetry-1")
    call_command("search_rebuild", "--no-progress", stdout=StringIO())
    queries = tmp_path / "queries.tsv"
    queries.write_text("query_id\tquery\nq1\tlinear algebra\nq2\tnothing matches this\n")
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(f"q1\tdemo:{course.source_id}\t3\nq2\tdemo:poetry-1\t1\n")
    out = StringIO()
    call_command(
        "search_eval", str(queries), str(qrels), "--per-query", "--mode", "lexical", stdout=out, stderr=StringIO()
    )
    text = out.getvalue()
    assert "lexical   nDCG@10 0.500   recall@20 0.500   MRR 0.500   zero-result rate 0.500" in text


def test_search_eval_reports_per_kind_split_and_mode_and_writes_pools(db, tmp_path):
    algebra = CourseFactory(title="Linear algebra", source="demo", source_id="la-1")
    CourseFactory(title="Poetry of the sea", source="demo", source_id="poetry-1")
    call_command("search_rebuild", "--no-progress", stdout=StringIO())
    queries = tmp_path / "queries.tsv"
    queries.write_text(
        "query_id\tquery\tkind\tsplit\n"
        "q1\tlinear algebra\ttopic2\treport\n"
        "q2\tpoetry\ttopic1\ttune\n"
        "q3\tsourdough baking\tnoanswer\treport\n"
    )
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(f"q1\tdemo:{algebra.source_id}\t3\nq2\tdemo:poetry-1\t2\nq3\tdemo:poetry-1\t0\n")
    out = StringIO()
    call_command(
        "search_eval",
        str(queries),
        str(qrels),
        "--mode",
        "lexical",
        "--mode",
        "baseline",
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert "lexical   nDCG@10" in text and "baseline  nDCG@10" in text
    for row in ["topic2", "topic1", "report", "tune", "No close match"]:
        assert row in text
    out = StringIO()
    call_command("search_eval", str(queries), str(qrels), "--mode", "lexical", "--split", "tune", stdout=out)
    assert "queries: 1" in out.getvalue()
    pool = tmp_path / "pool.tsv"
    call_command("search_eval", str(queries), "--pool", str(pool), stdout=StringIO(), stderr=StringIO())
    rows = [line.split("\t") for line in pool.read_text().splitlines()[1:]]
    assert rows[0][:2] == ["q1", "demo:la-1"] and "baseline" in rows[0][2] and rows[0][3] == "Linear algebra"


def test_search_eval_reports_bad_files(db, tmp_path):
    queries = tmp_path / "queries.tsv"
    queries.write_text("q1\tlinear algebra\n")
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("q1\tdemo:x\tvery\n")
    with pytest.raises(CommandError, match=r"qrels.tsv, line 1: relevance must be a whole number"):
        call_command("search_eval", str(queries), str(qrels))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("search_eval", str(tmp_path / "missing.tsv"), str(qrels))
    queries.write_text("q1\tlinear algebra\ttopic\thalf\n")
    with pytest.raises(CommandError, match=r"queries.tsv, line 1: split must be one of tune, report"):
        call_command("search_eval", str(queries), str(qrels))

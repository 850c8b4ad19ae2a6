"""manage.py ask_eval: the share of cited resources that are relevant, citations outside the retrieved set (0, or the
command fails), the optional `kind` column, and the evaluation leaves no conversations behind."""

from io import StringIO

from django.core.cache import cache
from django.core.management import CommandError, call_command

import pytest

from catalog.factories import CourseFactory
from search.ask import answer as answer_module
from search.ask.citations import Source
from search.ask.extractive import ExtractiveAnswer
from search.ask.models import AskConversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(tmp_path, reindex, settings):
    cache.clear()
    settings.ASK_MODEL = ""
    python = CourseFactory(title="Python for data analysis", source="demo", source_id="py")
    CourseFactory(title="Python data analysis for biologists", source="demo", source_id="bio")
    CourseFactory(title="Medieval French poetry", source="demo", source_id="poetry")
    reindex()
    queries = tmp_path / "queries.tsv"
    queries.write_text(
        "query_id\tquery\tkind\n"
        "a1\tI want to learn data analysis in Python\tquestion\n"
        "a2\tmedieval poetry\tkeyword\n"
        "a3\tunderwater basket weaving\tquestion\n"
    )
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query_id\tdocument\trelevance\na1\tdemo:py\t3\na1\tdemo:bio\t0\na2\tdemo:poetry\t3\n")
    return queries, qrels, python


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("ask_eval", *map(str, args), "--per-query", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def metric(output: str, name: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith(name))


def test_ask_eval_reports_the_relevant_share_and_citations_outside_retrieval(judged):
    queries, qrels, _ = judged
    output, _ = run(queries, qrels)
    assert metric(output, "questions").startswith("3")
    cited = int(metric(output, "citations:"))
    assert cited >= 2
    # a1 cites demo:py (relevant) and demo:bio (judged 0); a2 cites demo:poetry (relevant).
    share = float(metric(output, "relevant share"))
    assert 0 < share < 1 and share == pytest.approx(2 / cited, abs=0.001)
    assert metric(output, "citations outside retrieval") == "0"
    assert metric(output, "no close match") == "1"
    assert AskConversation.objects.count() == 0  # evaluation stores nothing


def test_ask_eval_keeps_one_kind_of_query(judged):
    queries, qrels, _ = judged
    output, _ = run(queries, qrels, "--kind", "question")
    assert metric(output, "questions").startswith("2")
    assert "medieval poetry" not in output and "underwater basket weaving" in output
    assert "kind: question" in output


def test_ask_eval_fails_when_an_answer_cites_a_resource_retrieval_did_not_return(judged, monkeypatch):
    queries, qrels, python = judged
    real = answer_module.extractive_answer

    def leaky(question, previous=()):
        result = real(question, previous)
        result.sources.append(Source(resource_id=python.pk + 1000, title="Invented", url="/nowhere/"))
        return result

    monkeypatch.setattr(answer_module, "extractive_answer", leaky)
    with pytest.raises(CommandError, match="citations name resources that retrieval did not return"):
        run(queries, qrels)
    assert isinstance(real("python", []), ExtractiveAnswer)


def test_ask_eval_reports_unreadable_files(tmp_path, db):
    bad = tmp_path / "queries.tsv"
    bad.write_text("only-one-column\n")
    with pytest.raises(CommandError, match=r"queries.tsv, line 1: expected 2 or 3"):
        run(bad, bad)
    with pytest.raises(CommandError, match="cannot be read"):
        run(tmp_path / "missing.tsv", bad)

"""Query text helpers, rank fusion and the parameters parser."""

import pytest

from search.ranking import reciprocal_rank_fusion
from search.service import SearchParameterError, parse_params
from search.text import MARK_CLOSE, MARK_OPEN, clean_query, edit_distance, marked_to_html, tokens, unaccent


def test_tokens_normalise_and_keep_course_numbers():
    assert tokens("Économie, ÉCONOMIE and 6.0001 e-commerce!") == ["economie", "and", "6.0001", "e-commerce"]
    assert tokens('"AND" OR NOT * : -') == ["and", "or", "not"]
    assert tokens("x" * 100) == ["x" * 64]


def test_clean_query_drops_control_characters_and_bounds_length():
    assert clean_query("a\x00b\x1f  c\n") == "a b c"
    assert len(clean_query("y" * 1000)) == 200


def test_unaccent():
    assert unaccent("Ångström café naïve") == "Angstrom cafe naive"


@pytest.mark.parametrize(
    "a, b, distance",
    [("machine", "machine", 0), ("machne", "machine", 1), ("mahcine", "machine", 1), ("lerning", "learning", 1)],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance


def test_edit_distance_gives_up_above_the_limit():
    assert edit_distance("abc", "xyzuvw", limit=2) == 3


def test_marked_text_is_escaped_before_marks_are_added():
    text = f"<script>x</script> {MARK_OPEN}robots{MARK_CLOSE} & more"
    assert marked_to_html(text) == "&lt;script&gt;x&lt;/script&gt; <mark>robots</mark> &amp; more"


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]])
    assert [key for key, _ in fused] == ["b", "c", "a", "d"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_reciprocal_rank_fusion_weights():
    fused = reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])
    assert fused[0][0] == "b"
    with pytest.raises(ValueError, match="2 rankings"):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])


def test_parse_params_reads_repeated_and_comma_separated_facets():
    params = parse_params({"q": ["  ml  "], "topic": ["a,b", "c"], "nonsense": ["x"], "page": ["2"]})
    assert params.q == "ml" and params.page == 2
    assert params.filters == {"topic": ["a", "b", "c"]}


def test_parse_params_lenient_and_strict():
    lenient = parse_params({"sort": ["bogus"], "page": ["-3"]})
    assert lenient.sort == "relevance" and lenient.page == 1
    with pytest.raises(SearchParameterError) as error:
        parse_params({"sort": ["bogus"], "page_size": ["0"]}, strict=True)
    assert set(error.value.errors) == {"sort", "page_size"}

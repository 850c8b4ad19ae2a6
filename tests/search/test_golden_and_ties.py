"""Issue 14, one behaviour on both databases: hybrid's fusion does not depend on how an engine broke a tie, and the
real-data gate's golden comparison allows reordering among equal scores only."""

from search.eval import ranking_difference
from search.ranking import reciprocal_rank_fusion, tied_ranks


def test_equal_scores_share_a_rank():
    assert tied_ranks([3.0, 2.0, 2.0, 1.0]) == [1, 2, 2, 4]
    # The last digits of a float sum added in another order are a tie too.
    assert tied_ranks([0.5, 0.5 + 1e-12, 0.4]) == [1, 1, 3]


def test_fusion_is_the_same_whichever_way_a_tie_was_broken():
    lexical_scores = [5.0, 3.0, 3.0]
    one = reciprocal_rank_fusion([["a", "b", "c"], ["c", "b"]], scores=[lexical_scores, None])
    other = reciprocal_rank_fusion([["a", "c", "b"], ["c", "b"]], scores=[lexical_scores, None])
    assert dict(one) == dict(other)
    # Without scores the order of the tie decides (what made SQLite and PostgreSQL disagree).
    assert dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "b"]])) != dict(
        reciprocal_rank_fusion([["a", "c", "b"], ["c", "b"]])
    )


def test_a_golden_ranking_allows_reordering_among_equal_scores_only():
    golden = [("a", 3.0), ("b", 2.0), ("c", 2.0), ("d", 1.0)]
    assert ranking_difference(golden, [("a", 3.0), ("c", 2.0), ("b", 2.0), ("d", 1.0)]) == ""
    # The group cut by the last place may hold other documents (its ties continue below the cut).
    assert ranking_difference(golden, [("a", 3.0), ("b", 2.0), ("c", 2.0), ("e", 1.0)]) == ""
    assert "at score 2" in ranking_difference(golden, [("a", 3.0), ("b", 2.0), ("e", 2.0), ("d", 1.0)])
    assert "rank 2" in ranking_difference(golden, [("a", 3.0), ("b", 2.5), ("c", 2.0), ("d", 1.0)])
    assert "3 hits" in ranking_difference(golden, golden[:3])

"""Rank fusion for hybrid search: the lexical engine's ranking and (issue 8) a vector engine's, fused by key."""

from collections.abc import Sequence

# Two scores of one ranking this close (relative) are a tie: they share a rank (see `tied_ranks`).
TIE_TOLERANCE = 1e-6


def tied_ranks(scores: Sequence[float]) -> list[int]:
    """1-based ranks of a best-first list of scores, equal scores sharing the rank of the first of them.

    Which of two equally scored documents an engine lists first is arbitrary (by id; a float sum in another order
    on another database; an encoder's last digits in another batch), so fusion must not depend on it: SQLite and
    PostgreSQL then fuse to the same scores (issue 14)."""
    ranks: list[int] = []
    for index, score in enumerate(scores):
        previous = scores[index - 1] if index else None
        if previous is not None and abs(previous - score) <= TIE_TOLERANCE * max(abs(previous), abs(score), 1e-12):
            ranks.append(ranks[-1])
        else:
            ranks.append(index + 1)
    return ranks


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]],
    k: int = 60,
    weights: Sequence[float] | None = None,
    scores: Sequence[Sequence[float] | None] | None = None,
):
    """Fuse ranked lists of keys: score(key) = Σ weight / (k + rank). Returns [(key, score)], best first. With
    `scores` (each ranking's own scores, or None), equally scored keys of a ranking share a rank (`tied_ranks`).

    RRF needs no score calibration between engines (bm25 and cosine similarity are not comparable), which is why
    hybrid search uses it (Cormack, Clarke & Büttcher, 2009; k=60 as in the paper).
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"got {len(weights)} weights for {len(rankings)} rankings")
    own_scores = list(scores) if scores is not None else [None] * len(rankings)
    fused: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for list_index, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        ranking_scores = own_scores[list_index]
        ranking = list(ranking)
        ranks = tied_ranks(ranking_scores) if ranking_scores is not None else range(1, len(ranking) + 1)
        for rank, key in zip(ranks, ranking, strict=True):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
            first_seen.setdefault(key, (rank, list_index))
    return sorted(fused.items(), key=lambda item: (-item[1], first_seen[item[0]]))

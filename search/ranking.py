"""Rank fusion for hybrid search: the lexical engine's ranking and (issue 8) a vector engine's, fused by key."""

from collections.abc import Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None):
    """Fuse ranked lists of keys: score(key) = Σ weight / (k + rank). Returns [(key, score)], best first.

    RRF needs no score calibration between engines (bm25 and cosine similarity are not comparable), which is why
    hybrid search uses it (Cormack, Clarke & Büttcher, 2009; k=60 as in the paper).
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"got {len(weights)} weights for {len(rankings)} rankings")
    scores: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for list_index, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
            first_seen.setdefault(key, (rank, list_index))
    return sorted(scores.items(), key=lambda item: (-item[1], first_seen[item[0]]))

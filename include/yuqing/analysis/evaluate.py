"""Measuring the analysis against labelled data (used by the tests and by ``make bench``)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = SENTIMENT_LABELS) -> float:
    """Mean of per-class F1: every class counts the same, however rare it is."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def _comb2(n: int) -> float:
    return n * (n - 1) / 2


def clustering_scores(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> dict[str, float]:
    """NMI, adjusted Rand index and B-cubed precision/recall/F1 of a clustering against the truth.

    NMI (arithmetic normalisation, as scikit-learn's default) rewards over-splitting when most true
    clusters are singletons; ARI (0 for a random or do-nothing split) and B-cubed say whether the
    items that belong together were put together. Pass a distinct label for every unclustered item.
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    n = len(gold)
    if n == 0:
        return {"nmi": 1.0, "ari": 1.0, "bcubed_precision": 1.0, "bcubed_recall": 1.0, "bcubed_f1": 1.0}
    pairs = Counter(zip(gold, predicted, strict=True))
    g = Counter(gold)
    p = Counter(predicted)
    # NMI
    h_g = -sum(c / n * math.log(c / n) for c in g.values())
    h_p = -sum(c / n * math.log(c / n) for c in p.values())
    mi = sum(c / n * math.log(c * n / (g[a] * p[b])) for (a, b), c in pairs.items())
    nmi = 1.0 if h_g == h_p == 0 else (2 * mi / (h_g + h_p) if h_g + h_p else 0.0)
    # ARI
    index = sum(_comb2(c) for c in pairs.values())
    sum_g = sum(_comb2(c) for c in g.values())
    sum_p = sum(_comb2(c) for c in p.values())
    expected = sum_g * sum_p / _comb2(n) if n > 1 else 0.0
    maximum = (sum_g + sum_p) / 2
    ari = 1.0 if maximum == expected else (index - expected) / (maximum - expected)
    # B-cubed: per item, the share of its predicted cluster that truly belongs with it, and vice versa
    precision = sum(c * c / p[b] for (_a, b), c in pairs.items()) / n
    recall = sum(c * c / g[a] for (a, _b), c in pairs.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"nmi": nmi, "ari": ari, "bcubed_precision": precision, "bcubed_recall": recall, "bcubed_f1": f1}


def duplicate_scores(rows: Sequence[dict[str, Any]], found: dict[Any, Any]) -> dict[str, float]:
    """Precision on the pairs found, recall on the copies: ``rows`` have ``id``, ``group``, ``kind``.

    ``found`` maps an item id to the id it was found to duplicate (or None). A found pair is right
    when both items are in one true group; a copy is recalled when it was found to duplicate an item
    of its own group.
    """
    group = {r["id"]: r["group"] for r in rows}
    pairs = [(i, o) for i, o in found.items() if o is not None]
    right = sum(1 for i, o in pairs if group.get(i) == group.get(o))
    copies = [r["id"] for r in rows if r["kind"].startswith("copy")]
    recalled = sum(1 for c in copies if found.get(c) is not None and group.get(found[c]) == group[c])
    return {
        "pairs_found": len(pairs),
        "precision": right / len(pairs) if pairs else 1.0,
        "copies": len(copies),
        "recall": recalled / len(copies) if copies else 1.0,
    }

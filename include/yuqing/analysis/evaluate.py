"""Measuring the analysis against labelled data (used by tests now, by ``make bench`` later)."""

from __future__ import annotations

from collections.abc import Sequence

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

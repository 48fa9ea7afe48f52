"""The first sentiment scorer: rules, and its macro-F1 on the labelled set in tests/data/analysis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yuqing.analysis.engine import components
from yuqing.analysis.evaluate import macro_f1
from yuqing.analysis.text import normalise
from yuqing.config import Config

EVAL_SET = Path(__file__).parent / "data" / "analysis" / "sentiment_eval.jsonl"


def _label(config: Config, text: str) -> str:
    parts = components(config)
    return parts.sentiment.score(normalise(text), parts.segmenter).label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("非常满意，点赞！", "positive"),
        ("我对处理结果很满意", "positive"),
        ("我对处理结果不满意", "negative"),  # negation flips praise
        ("办事并不麻烦，很方便", "positive"),  # a negated complaint
        ("不少人点赞", "positive"),  # 不少 is not a negator
        ("态度好，但是问题没解决", "negative"),  # contrast: the clause after dominates
        ("排队有点久，但是工作人员很负责，问题都解决了", "positive"),
        ("难道就没人管管吗？", "negative"),  # rhetorical question
        ("凭什么收费这么高", "negative"),
        ("真是好效率啊，三个月没人管", "negative"),  # sarcasm
        ("厉害了我的局，开个证明要等十五天", "negative"),
        ("希望尽快解决", "neutral"),  # a wish is not praise
        ("清风寺门口打起来了[怒]", "negative"),
        ("带老人去方便多了👍", "positive"),
        ("依法打击非法宗教活动，取缔私设聚会点，特此通告。", "neutral"),  # the office acting
        ("来电人表示噪音问题已得到解决，对结果满意", "positive"),  # a resolved problem
        ("清风寺周六上午九点开放", "neutral"),
    ],
)
def test_sentiment_rules(demo_config: Config, text: str, label: str) -> None:
    assert _label(demo_config, text) == label


def test_score_is_between_minus_one_and_one(demo_config: Config) -> None:
    parts = components(demo_config)
    for text in ("非常非常满意，太棒了，点赞点赞👍👍", "愤怒！寒心！黑幕！凭什么！😡😡", ""):
        assert -1 <= parts.sentiment.score(normalise(text), parts.segmenter).score <= 1


def _rows() -> list[dict]:
    return [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labelled_set_is_large_varied_and_keeps_a_held_out_part() -> None:
    rows = _rows()
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows) and len({r["text"] for r in rows}) == len(rows)
    assert {r["label"] for r in rows} == {"negative", "neutral", "positive"}
    assert {r["split"] for r in rows} == {"dev", "heldout"}
    held_out = [r for r in rows if r["split"] == "heldout"]
    assert len(held_out) >= 100
    for part in (rows, held_out):
        assert len({r["source_type"] for r in part}) == 8  # every channel, every label in most of them
    # the shortcut a model could learn (portal = neutral, weibo = opinion) is broken on purpose
    assert {r["label"] for r in rows if r["source_type"] == "portal"} == {"negative", "neutral", "positive"}
    assert {r["label"] for r in rows if r["source_type"] == "weibo"} == {"negative", "neutral", "positive"}


def test_macro_f1_on_labelled_set_meets_the_target(demo_config: Config) -> None:
    """Target (issue 4): macro-F1 ≥ 0.80 on the whole set; the held-out part is reported beside it."""
    rows = _rows()
    predicted = {r["id"]: _label(demo_config, r["text"]) for r in rows}
    scores = {}
    for name, part in (("all", rows), ("dev", [r for r in rows if r["split"] == "dev"]),
                       ("heldout", [r for r in rows if r["split"] == "heldout"])):
        scores[name] = macro_f1([r["label"] for r in part], [predicted[r["id"]] for r in part])
    print("sentiment macro-F1 " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    assert scores["all"] >= 0.80, scores
    assert scores["dev"] >= 0.95, scores  # the part the rules were written against
    assert scores["heldout"] >= 0.70, scores  # never tuned on: how well the rules generalise


def test_macro_f1_counts_every_class_equally() -> None:
    assert macro_f1(["negative", "neutral", "positive"], ["negative", "neutral", "positive"]) == 1.0
    assert macro_f1(["negative", "negative"], ["positive", "positive"]) == 0.0

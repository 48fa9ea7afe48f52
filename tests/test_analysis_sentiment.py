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


def test_macro_f1_on_labelled_set_is_reported_and_above_075(demo_config: Config) -> None:
    rows = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 60
    assert {r["label"] for r in rows} == {"negative", "neutral", "positive"}
    assert len({r["source_type"] for r in rows}) >= 6
    predicted = [_label(demo_config, r["text"]) for r in rows]
    score = macro_f1([r["label"] for r in rows], predicted)
    print(f"sentiment macro-F1 on {len(rows)} labelled items: {score:.3f}")
    assert score > 0.75, f"macro-F1 {score:.3f} on {EVAL_SET.name}"


def test_macro_f1_counts_every_class_equally() -> None:
    assert macro_f1(["negative", "neutral", "positive"], ["negative", "neutral", "positive"]) == 1.0
    assert macro_f1(["negative", "negative"], ["positive", "positive"]) == 0.0

"""Normalisation, repost cores and lexicon relevance (C2a 舆情内容)."""

from __future__ import annotations

import pytest

from yuqing.analysis.engine import analyze_item, components
from yuqing.analysis.text import content_chars, first_sentence, normalise, repost_core
from yuqing.config import Config


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("  市民宗局\u200b通知 ", "市民宗局通知"),
        ("ＡＢＣ１２３，全角", "abc123,全角"),  # full width → half width, Latin folded
        ("<p>清风寺&nbsp;开放</p>", "清风寺 开放"),
        ("多个\n\n  空白", "多个 空白"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("转发微博//@张三:清风寺门口发生冲突", "清风寺门口发生冲突"),
        ("太吓人了//@李四：清风寺门口今天上午发生冲突", "清风寺门口今天上午发生冲突"),
        ("转自江城论坛:清风寺门口发生冲突", "清风寺门口发生冲突"),
        ("转发微博", ""),
        ("一条普通的帖子", "一条普通的帖子"),
    ],
)
def test_repost_core_keeps_what_was_said(text: str, core: str) -> None:
    assert repost_core(normalise(text)) == normalise(core)


def test_content_chars_ignores_punctuation_and_links() -> None:
    assert content_chars("清风寺，开放！ https://t.cn/abc") == "清风寺开放"


def test_first_sentence_is_cut_at_the_limit() -> None:
    assert first_sentence("第一句。第二句。") == "第一句。"
    assert first_sentence("长" * 80, limit=10) == "长" * 9 + "…"


def _analyse(config: Config, text: str):
    return analyze_item("x", None, text, components(config))


def test_agency_mention_is_relevant(demo_config: Config) -> None:
    ia = _analyse(demo_config, "市民宗局今天上午发布了节日安排")
    assert ia.relevant and "市民宗局" in ia.matched_terms


def test_sensitive_category_is_relevant_and_categorised(demo_config: Config) -> None:
    ia = _analyse(demo_config, "小区里有人私设聚会点非法传教")
    assert ia.relevant
    assert ia.categories == ["非法宗教活动"]
    assert set(ia.matched_terms) >= {"私设聚会点", "非法传教"}


def test_weak_category_alone_is_not_relevant_but_is_with_a_local_place(demo_config: Config) -> None:
    assert not _analyse(demo_config, "学校发布寒假放假通知").relevant
    assert _analyse(demo_config, "江城市发布寒假放假通知").relevant


def test_exclusion_term_makes_item_irrelevant(demo_config: Config) -> None:
    ia = _analyse(demo_config, "招聘启事：清真寺附近门店招聘店员，民宗局旁")
    assert not ia.relevant
    assert "招聘启事" in ia.matched_terms


def test_unrelated_text_is_not_relevant(demo_config: Config) -> None:
    ia = _analyse(demo_config, "今天天气不错，适合去公园散步")
    assert not ia.relevant and ia.matched_terms == []


def test_overlapping_terms_all_match(demo_config: Config) -> None:
    """An agency unit name still signals its category (宗教活动场所管理科 ⊃ 宗教活动场所)."""
    ia = _analyse(demo_config, "宗教活动场所管理科回复了")
    assert {"宗教活动场所管理科", "宗教活动场所"} <= set(ia.matched_terms)


def test_user_dictionary_keeps_domain_words_whole(demo_config: Config) -> None:
    tokens = components(demo_config).segmenter.cut(normalise("市民宗局在东关清真寺排查非法宗教活动"))
    assert {"市民宗局", "东关清真寺", "非法宗教活动"} <= set(tokens)


def test_components_are_built_once_per_config(demo_config: Config) -> None:
    assert components(demo_config) is components(demo_config)

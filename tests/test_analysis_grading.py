"""Grading (C2a 研判标准): factors, contributions, levels from config thresholds, response value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yuqing.analysis.grading import MemberFacts, grade_event, level_for
from yuqing.config import Config

NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


def _members(n: int, **kw: object) -> list[MemberFacts]:
    base = {"at": NOW - timedelta(minutes=5), "channel": "weibo", "sentiment": "negative", "categories": ("涉稳",)}
    base.update(kw)
    return [MemberFacts(**base) for _ in range(n)]  # type: ignore[arg-type]


def test_c2a_explanation_lists_each_factor_with_value_and_contribution(demo_config: Config) -> None:
    grade = grade_event(_members(3, agency=True), demo_config, NOW)
    factors = grade.explanation["factors"]
    assert [(f["name"], f["label"]) for f in factors] == [
        ("content", "舆情内容"), ("reaction", "公众反应"), ("media", "媒体介入程度"), ("reach", "传播范围"),
    ]
    for f in factors:
        assert 0 <= f["value"] <= 1
        assert f["contribution"] == pytest.approx(f["value"] * f["weight"], abs=0.01)
    assert grade.score == pytest.approx(sum(f["contribution"] for f in factors), abs=0.05)
    assert grade.explanation["level"] == grade.level
    assert factors[0]["detail"] == {
        "categories": ["涉稳"], "max_category_weight": 1.0, "agency_mentioned": True, "rumour_cue": False, "concern": 1.0,
    }


def test_single_quiet_post_is_general_level(demo_config: Config) -> None:
    grade = grade_event(_members(1, categories=("服务投诉",), sentiment="neutral"), demo_config, NOW)
    assert grade.level == "一般"
    assert grade.response_value == "无需回应"


def test_spreading_negative_event_with_central_media_is_graded_high(demo_config: Config) -> None:
    members = _members(40, agency=True, engagement={"comments": 500, "reposts": 800})
    members.append(MemberFacts(at=NOW, channel="news", source="人民日报", sentiment="negative", categories=("涉稳",)))
    grade = grade_event(members, demo_config, NOW)
    assert grade.level in ("重大", "特别重大")
    assert grade.explanation["factors"][3]["detail"]["central_media"] is True
    assert grade.response_value == "需回应"
    assert "负面信息" in grade.explanation["response_reason"]


def test_levels_follow_the_thresholds_in_config(demo_config: Config) -> None:
    assert level_for(39.9, demo_config) == "一般"
    assert level_for(40, demo_config) == "较大"
    assert level_for(65, demo_config) == "重大"
    assert level_for(85, demo_config) == "特别重大"
    strict = demo_config.model_copy(
        update={"grading": demo_config.grading.model_copy(update={"thresholds": {"一般": 0, "较大": 5, "重大": 20, "特别重大": 30}})}
    )
    grade = grade_event(_members(1, categories=("服务投诉",), sentiment="neutral"), strict, NOW)
    assert grade.level != "一般"
    assert grade.explanation["thresholds"]["较大"] == 5


def test_velocity_compares_last_hour_with_the_day_before(demo_config: Config) -> None:
    steady = [MemberFacts(at=NOW - timedelta(hours=h)) for h in range(2, 26)]
    spike = steady + [MemberFacts(at=NOW - timedelta(minutes=m)) for m in range(12)]
    v_steady = grade_event(steady, demo_config, NOW).explanation["factors"][1]["detail"]["parts"]["velocity"]
    v_spike = grade_event(spike, demo_config, NOW).explanation["factors"][1]["detail"]["parts"]["velocity"]
    assert v_steady == 0 and v_spike > 0.9


def test_praise_on_a_sensitive_topic_is_not_a_warning(demo_config: Config) -> None:
    """A positive report about 民族团结 names the office and a weighty category, yet is no 舆情 risk."""
    praise = _members(3, sentiment="positive", categories=("民族团结",), agency=True, channel="portal")
    complaint = _members(3, sentiment="negative", categories=("民族团结",), agency=True, channel="portal")
    assert grade_event(praise, demo_config, NOW).level == "一般"
    assert grade_event(praise, demo_config, NOW).score < grade_event(complaint, demo_config, NOW).score


def test_highest_level_needs_national_attention(demo_config: Config) -> None:
    local = _members(80, agency=True, rumour=True, engagement={"comments": 900, "reposts": 900, "likes": 900})
    local += [MemberFacts(at=NOW, channel="news", source="江城晚报", sentiment="negative", categories=("涉稳",))]
    graded = grade_event(local, demo_config, NOW)
    assert graded.score >= demo_config.grading.thresholds["特别重大"]
    assert graded.level == "重大"
    assert "中央媒体" in graded.explanation["gate"]
    national = local + [MemberFacts(at=NOW, channel="news", source="新华社", sentiment="negative", categories=("涉稳",))]
    assert grade_event(national, demo_config, NOW).level == "特别重大"

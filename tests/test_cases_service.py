"""Cases (C4 受理→转办→反馈, P2 谁主管谁负责, P4 hotline items become cases, P1 deadlines escalate)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cases_support import T0, make_event, make_hotline_item
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing.cases.models import Case, CaseEscalation, CaseTransition
from yuqing.cases.routing import route_case
from yuqing.cases.service import (
    CaseError,
    add_feedback,
    check_deadlines,
    dispatch_new_cases,
    follow_event_levels,
    open_pending_cases,
    transition,
)
from yuqing.clock import SHANGHAI
from yuqing.config import Config
from yuqing.models import AuditLog


def _open(session: Session, config: Config) -> dict[str, Case]:
    return {c.origin_key: c for c in open_pending_cases(session, config, now=T0)}


def test_p2_routing_follows_the_first_matching_rule_and_names_the_responsible(demo_config: Config) -> None:
    r = route_case(demo_config, categories=["宗教活动场所", "涉稳"], text="清风寺 香火钱")
    assert (r.lead_unit, r.first_responsible, r.direct_responsible) == ("venues", "chen_gang", "zheng_yan")
    assert r.rule.startswith("宗教活动场所") and "office" in r.co_units  # 涉稳协同 adds 办公室 as 协办
    fallback = route_case(demo_config, categories=[], text="暖气不热")
    assert (fallback.lead_unit, fallback.rule) == ("office", "默认（未匹配规则）")


def test_c4_cases_open_once_with_numbers_deadlines_and_audit(session: Session, demo_config: Config) -> None:
    major = make_event(session)
    make_event(session, title="一般事件", level="一般", response_value="无需回应")
    item = make_hotline_item(session, text="咨询宗教活动场所举办法会是否需要报批", kind="咨询")
    cases = _open(session, demo_config)
    assert set(cases) == {f"event:{major.id}", f"item:{item.id}"}
    big = cases[f"event:{major.id}"]
    assert big.number == "YQ-20261124-0001" and cases[f"item:{item.id}"].number == "YQ-20261124-0002"
    assert big.release_due_at == T0 + timedelta(hours=5) and big.press_due_at == T0 + timedelta(hours=24)
    assert big.assessment_state == "pending" and big.state == "受理"
    hot = cases[f"item:{item.id}"]
    assert (hot.case_type, hot.external_ref, hot.deadline_provisional) == ("咨询", "RX-1", False)
    # received Tue 11-24: 25, 26, 27, 30 Nov and 1, 2, 3 Dec → due at the end of 3 Dec, Beijing
    assert hot.due_at == datetime(2026, 12, 4, tzinfo=SHANGHAI)
    assert _open(session, demo_config) == {}  # idempotent
    assert session.scalar(select(func.count()).select_from(Case)) == 2
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "case.opened")) == 2


def test_c2d_major_case_is_not_dispatched_before_approval(session: Session, demo_config: Config) -> None:
    make_event(session)
    make_event(session, title="较大事件：慈云寺停车难", level="较大", categories=["服务投诉"], signature=["慈云寺"])
    cases = list(_open(session, demo_config).values())
    moved = dispatch_new_cases(session, demo_config, now=T0)
    assert [c.level for c in moved] == ["较大"]
    major = next(c for c in cases if c.level == "重大")
    with pytest.raises(CaseError, match="C2d 重大敏感舆情须经领导审批预控处置意见后方可处置"):
        transition(session, demo_config, major, "转办", actor="chen_gang", now=T0)
    major.assessment_state = "approved"
    assert [c.number for c in dispatch_new_cases(session, demo_config, now=T0)] == [major.number]


def test_c4_state_machine_refuses_illegal_moves_and_needs_reasons(session: Session, demo_config: Config) -> None:
    make_hotline_item(session, text="反映东湖区噪音扰民", categories=["服务投诉"])
    case = next(iter(_open(session, demo_config).values()))
    with pytest.raises(CaseError, match="受理 → 办结 is not allowed; from 受理 it may go to 转办、挂起"):
        transition(session, demo_config, case, "办结", actor="zhao_min", now=T0)
    with pytest.raises(CaseError, match="挂起 needs a reason"):
        transition(session, demo_config, case, "挂起", actor="zhao_min", now=T0)
    transition(session, demo_config, case, "挂起", actor="zhao_min", reason="等待来电人补充材料", now=T0)
    with pytest.raises(CaseError, match="can only resume to 受理"):
        transition(session, demo_config, case, "转办", actor="zhao_min", now=T0)
    transition(session, demo_config, case, "受理", actor="zhao_min", now=T0)
    transition(session, demo_config, case, "转办", actor="zhao_min", now=T0)
    transition(session, demo_config, case, "退回", actor="zheng_yan", reason="不属本科室职责", now=T0)
    transition(session, demo_config, case, "转办", actor="zhao_min", unit="venues", now=T0)  # 重新转办
    assert (case.lead_unit, case.first_responsible, case.direct_responsible) == ("venues", "chen_gang", "zheng_yan")
    states = [t.to_state for t in session.scalars(select(CaseTransition).where(CaseTransition.case_id == case.id)
                                                  .order_by(CaseTransition.id))]
    assert states == ["受理", "挂起", "受理", "转办", "退回", "转办"]


def test_c4_multi_unit_case_closes_only_after_every_unit_gave_feedback(session: Session, demo_config: Config) -> None:
    make_event(session, level="较大")
    case = next(iter(_open(session, demo_config).values()))
    assert case.co_units == ["office"]
    dispatch_new_cases(session, demo_config, now=T0)
    add_feedback(session, demo_config, case, unit="venues", actor="zheng_yan", text="已约谈清风寺负责人，退还费用", now=T0)
    assert case.state == "反馈" and case.answered_at == T0
    with pytest.raises(CaseError, match="no feedback yet from office"):
        transition(session, demo_config, case, "办结", actor="chen_gang", now=T0)
    with pytest.raises(CaseError, match="neither the lead unit"):
        add_feedback(session, demo_config, case, unit="ethnic", actor="zhou_ping", text="x", now=T0)
    add_feedback(session, demo_config, case, unit="office", actor="zhao_min", text="已统一对外口径", now=T0)
    transition(session, demo_config, case, "办结", actor="chen_gang", now=T0)
    transition(session, demo_config, case, "回访", actor="zhao_min", now=T0)
    assert case.state == "回访" and case.closed_at == T0


def test_p1_overdue_case_escalates_to_leader_then_principal_once(session: Session, demo_config: Config) -> None:
    """Driven by a controllable clock: the sweep is asked what it would do at later moments."""
    make_event(session, level="较大", categories=["服务投诉"], signature=["慈云寺"], title="慈云寺停车难")
    case = next(iter(_open(session, demo_config).values()))
    dispatch_new_cases(session, demo_config, now=T0)
    due = case.due_at
    assert check_deadlines(session, demo_config, now=T0 + timedelta(hours=1)) == []
    remind = check_deadlines(session, demo_config, now=due - timedelta(hours=1))
    assert [(e.step, e.person) for e in remind] == [(0, case.direct_responsible)]
    over = check_deadlines(session, demo_config, now=due + timedelta(minutes=1))
    assert [(e.step, e.person) for e in over] == [(1, case.first_responsible)]
    later = check_deadlines(session, demo_config, now=due + timedelta(hours=25))
    assert [(e.step, e.person) for e in later] == [(2, "wang_jun")]
    assert check_deadlines(session, demo_config, now=due + timedelta(hours=30)) == []
    assert session.scalar(select(func.count()).select_from(CaseEscalation)) == 3
    add_feedback(session, demo_config, case, unit=case.lead_unit, actor="zhao_min", text="已答复", now=due)
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "case.escalated")) == 2


def test_c4_event_that_grows_raises_its_case_and_needs_c2d(session: Session, demo_config: Config) -> None:
    event = make_event(session, level="较大")
    case = next(iter(_open(session, demo_config).values()))
    event.level = "重大"
    later = T0 + timedelta(hours=3)
    assert follow_event_levels(session, demo_config, now=later) == [case]
    assert (case.level, case.assessment_state, case.release_due_at) == ("重大", "pending", later + timedelta(hours=5))


def test_c4_hotline_case_past_the_known_calendar_is_provisional(session: Session, demo_config: Config) -> None:
    make_hotline_item(session, text="投诉寺庙噪音", kind="投诉", at=T0)
    cases = open_pending_cases(session, demo_config, now=datetime(2026, 12, 20, 2, tzinfo=UTC))
    assert cases[0].deadline_provisional is True and "2027" in (cases[0].deadline_note or "")
    assert session.scalar(select(func.count()).select_from(AuditLog)
                          .where(AuditLog.action == "case.deadline_provisional")) == 1

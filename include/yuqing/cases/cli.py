"""``yuqing case …`` (list / show / transition / feedback / sweep) and ``yuqing audit export``."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime

import click

from yuqing.cases.models import CASE_STATES


def _parse_moment(value: str | None, what: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"{what}: '{value}' is not an ISO 8601 date or time (e.g. 2026-11-25 or "
                                   "2026-11-25T08:00+08:00)") from None
    if moment.tzinfo is None:
        from yuqing.clock import SHANGHAI

        moment = moment.replace(tzinfo=SHANGHAI)  # people type Beijing time
    return moment.astimezone(UTC)


def _config(ctx: click.Context):
    from yuqing.cli import _config as load

    return load(ctx)


@click.group("case")
def case_group() -> None:
    """Cases (受理→转办→反馈→办结→回访): list, show, move, give feedback, sweep deadlines."""


@case_group.command("list")
@click.option("--state", type=click.Choice(CASE_STATES), help="only cases in this state")
@click.option("--open", "only_open", is_flag=True, help="only cases still owing an answer")
def case_list(state: str | None, only_open: bool) -> None:
    """One line per case: 受理编号, state, level, unit, deadline, title."""
    from sqlalchemy import select

    from yuqing.cases.models import OPEN_STATES, Case
    from yuqing.clock import fmt_local
    from yuqing.db import session_scope

    with session_scope() as session:
        q = select(Case).order_by(Case.id)
        if state:
            q = q.where(Case.state == state)
        if only_open:
            q = q.where(Case.state.in_(OPEN_STATES))
        for c in session.scalars(q):
            mark = "（暂定）" if c.deadline_provisional else ""
            click.echo(f"{c.number} {c.state:4} [{c.level}] {c.case_type:4} {c.lead_unit:9} "
                       f"时限 {fmt_local(c.due_at)}{mark}  {c.title[:50]}")


@case_group.command("show")
@click.argument("number")
@click.pass_context
def case_show(ctx: click.Context, number: str) -> None:
    """A case with its deadlines, transitions, feedback, escalations, approvals and responses (JSON)."""
    from sqlalchemy import select

    from yuqing.cases.models import CaseApproval, PublicResponse
    from yuqing.cases.service import CaseError, get_case
    from yuqing.clock import fmt_local
    from yuqing.db import session_scope

    with session_scope() as session:
        try:
            c = get_case(session, number)
        except CaseError as exc:
            raise click.ClickException(str(exc)) from None
        approvals = session.scalars(select(CaseApproval).where(CaseApproval.case_id == c.id).order_by(CaseApproval.id))
        responses = session.scalars(select(PublicResponse).where(PublicResponse.case_id == c.id)
                                    .order_by(PublicResponse.id))
        out = {
            "受理编号": c.number, "标题": c.title, "类型": c.case_type, "等级": c.level, "状态": c.state,
            "主办单位": c.lead_unit, "协办单位": c.co_units, "路由规则": c.routing_rule,
            "第一责任人": c.first_responsible, "直接责任人": c.direct_responsible,
            "受理时间": fmt_local(c.opened_at), "答复时限": fmt_local(c.due_at), "时限规则": c.deadline_rule,
            "首次权威发布时限": fmt_local(c.release_due_at), "新闻发布会时限": fmt_local(c.press_due_at),
            "时限暂定": c.deadline_provisional, "暂定说明": c.deadline_note, "C2d审批": c.assessment_state,
            "流转": [{"时间": fmt_local(t.at), "从": t.from_state, "到": t.to_state, "人": t.actor, "原因": t.reason,
                      "单位": t.unit} for t in c.transitions],
            "反馈": [{"时间": fmt_local(f.at), "单位": f.unit, "角色": f.role, "人": f.actor, "内容": f.text}
                     for f in c.feedback],
            "督办": [{"时限": e.deadline, "级别": e.step, "对象": e.person, "状态": e.status} for e in c.escalations],
            "审批": [{"类别": a.kind, "会签单位": a.agency, "指派": a.assigned_to, "结果": a.decision,
                      "审批人": a.decided_by, "时间": fmt_local(a.decided_at), "sha256": a.text_sha256,
                      "意见": a.reason, "dag_run": f"{a.dag_id}/{a.run_id}/{a.task_id}"} for a in approvals],
            "回应": [{"id": r.id, "第几稿": r.attempt, "形式": r.form, "状态": r.state, "sha256": r.text_sha256,
                      "发布": [{"渠道": p.channel, "状态": p.state, "URL": p.url, "时间": fmt_local(p.published_at)}
                               for p in r.publications]} for r in responses],
        }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@case_group.command("transition")
@click.argument("number")
@click.argument("to_state", type=click.Choice(CASE_STATES))
@click.option("--actor", required=True, help="person id of whoever does this")
@click.option("--reason", help="required for 挂起 and 退回")
@click.option("--unit", help="unit id, for 转办 / 重新转办 to another unit")
@click.pass_context
def case_transition(ctx: click.Context, number: str, to_state: str, actor: str, reason: str | None,
                    unit: str | None) -> None:
    """Move case NUMBER to TO_STATE; an illegal move is refused, naming the allowed ones."""
    from yuqing.cases.service import CaseError, get_case, transition
    from yuqing.clock import utcnow
    from yuqing.db import session_scope

    config = _config(ctx)
    _known_person(config, actor)
    try:
        with session_scope() as session:
            case = get_case(session, number)
            transition(session, config, case, to_state, actor=actor, reason=reason, unit=unit, now=utcnow())
            click.echo(f"{number}: {case.state}")
    except CaseError as exc:
        raise click.ClickException(str(exc)) from None


@case_group.command("feedback")
@click.argument("number")
@click.option("--unit", required=True, help="unit id giving feedback (主办 or 协办)")
@click.option("--actor", required=True, help="person id")
@click.option("--text", required=True, help="the feedback")
@click.pass_context
def case_feedback(ctx: click.Context, number: str, unit: str, actor: str, text: str) -> None:
    """反馈: a unit's answer on case NUMBER (the lead unit's moves the case to 反馈)."""
    from yuqing.cases.service import CaseError, add_feedback, get_case
    from yuqing.clock import utcnow
    from yuqing.db import session_scope

    config = _config(ctx)
    _known_person(config, actor)
    try:
        with session_scope() as session:
            case = get_case(session, number)
            add_feedback(session, config, case, unit=unit, actor=actor, text=text, now=utcnow())
            click.echo(f"{number}: {case.state}")
    except CaseError as exc:
        raise click.ClickException(str(exc)) from None


@case_group.command("sweep")
@click.option("--as-of", help="check as if at this moment (ISO 8601; Beijing time if no zone)")
@click.pass_context
def case_sweep(ctx: click.Context, as_of: str | None) -> None:
    """What the hourly DAG does: open new cases, dispatch, check deadlines (no mail is sent here)."""
    from yuqing.cases.service import (
        check_deadlines,
        dispatch_new_cases,
        follow_event_levels,
        open_pending_cases,
    )
    from yuqing.clock import utcnow
    from yuqing.db import session_scope

    config = _config(ctx)
    now = _parse_moment(as_of, "--as-of") or utcnow()
    with session_scope() as session:
        opened = open_pending_cases(session, config, now=now)
        follow_event_levels(session, config, now=now)
        moved = dispatch_new_cases(session, config, now=now)
        raised = check_deadlines(session, config, now=now)
        click.echo(f"opened {len(opened)}, dispatched {len(moved)}, reminders/escalations {len(raised)}")


def _known_person(config, actor: str) -> None:
    if actor not in {p.id for p in config.people}:
        raise click.ClickException(f"--actor: unknown person '{actor}' (see people: in yuqing.yaml)")


@click.group("audit")
def audit_group() -> None:
    """The append-only audit trail (G3 问责)."""


COLUMNS = ["id", "at", "actor", "action", "object_type", "object_id", "dag_id", "run_id", "task_id", "detail"]


@audit_group.command("export")
@click.option("--since", required=True, help="from this date or moment (ISO 8601; Beijing time if no zone)")
@click.option("--until", help="up to (excluding) this date or moment")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--action", help="only actions starting with this, e.g. approval. or publication.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write here instead of stdout")
def audit_export(since: str, until: str | None, fmt: str, action: str | None, output: str | None) -> None:
    """Export audit entries (who, what, when, which object, which DAG run) as CSV or JSON."""
    from sqlalchemy import select

    from yuqing.db import session_scope
    from yuqing.models import AuditLog

    start = _parse_moment(since, "--since")
    end = _parse_moment(until, "--until")
    with session_scope() as session:
        q = select(AuditLog).where(AuditLog.at >= start).order_by(AuditLog.id)
        if end:
            q = q.where(AuditLog.at < end)
        if action:
            q = q.where(AuditLog.action.startswith(action, autoescape=True))
        rows = [{"id": a.id, "at": a.at.isoformat(), "actor": a.actor, "action": a.action,
                 "object_type": a.object_type, "object_id": a.object_id, "dag_id": a.dag_id, "run_id": a.run_id,
                 "task_id": a.task_id, "detail": a.detail} for a in session.scalars(q)]
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "detail": json.dumps(r["detail"], ensure_ascii=False, sort_keys=True)})
        text = buf.getvalue()
    if output:
        with open(output, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as fh:
            fh.write(text)
        click.echo(f"{len(rows)} entries written to {output}", err=True)
    else:
        sys.stdout.write(text)

"""``yuqing report …`` and ``yuqing risk …``: the reporting and risk-assessment steps by hand.

Approving from the CLI records a named approver in the store, exactly as the HITL step of the DAG
does; the DAG's ``record_approval``/``deliver`` tasks then honour it (see the README).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click


def _files(report) -> str:
    return "\n".join(f"  {k}: {v}" for k, v in report.files.items())


@click.group("report")
def report_cli() -> None:
    """舆情专报、周报/月报: render, approve, list."""


@report_cli.command("special")
@click.argument("event_id", type=int)
def special_cmd(event_id: int) -> None:
    """Render the 专报 of EVENT_ID (a new version only if its content changed)."""
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.reports.special import build_special_report
    from yuqing.reports.store import file_report

    with session_scope() as session:
        report, new = file_report(session, build_special_report(session, load_config(), event_id, reason="手动编报"))
        click.echo(f"report {report.id}: {report.title} v{report.version} ({'new' if new else 'unchanged'}, {report.status})")
        click.echo(_files(report))


@report_cli.command("periodic")
@click.option("--period", type=click.Choice(["weekly", "monthly"]), default="weekly", show_default=True)
@click.option("--date", "day", default=None, help="Beijing date; reports the week/month before it (default: today)")
def periodic_cmd(period: str, day: str | None) -> None:
    """Render the 周报 (with 定期通报 and 考核) or the 月报."""
    from yuqing.clock import local_today
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.reports.periodic import build_period_report, month_of, week_of
    from yuqing.reports.store import file_report

    d = date.fromisoformat(day) if day else local_today()
    start, end = (week_of if period == "weekly" else month_of)(d)
    with session_scope() as session:
        report, new = file_report(session, build_period_report(session, load_config(), period, start, end))
        click.echo(f"report {report.id}: {report.title} {report.key} v{report.version} ({'new' if new else 'unchanged'})")
        click.echo(_files(report))


@report_cli.command("approve")
@click.argument("report_id", type=int)
@click.option("--by", required=True, help="person id of the approving leader")
@click.option("--reject", is_flag=True, help="record 不予报送 instead")
@click.option("--note", default="")
def approve_cmd(report_id: int, by: str, reject: bool, note: str) -> None:
    """Record a leader's decision on one report version (once)."""
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.reports.store import ReportError, decide

    try:
        load_config().person(by)
    except KeyError as exc:
        raise click.ClickException(str(exc)) from None
    with session_scope() as session:
        try:
            r = decide(session, report_id, approve=not reject, by=by, note=note)
        except ReportError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"report {r.id} v{r.version}: {r.status} by {r.decided_by}")


@report_cli.command("list")
def list_cmd() -> None:
    """Every report version with its status and deliveries."""
    from sqlalchemy import select

    from yuqing.db import session_scope
    from yuqing.reports.models import Report
    from yuqing.reports.store import STATUS_NAMES

    with session_scope() as session:
        for r in session.scalars(select(Report).order_by(Report.id)):
            sent = sum(1 for d in r.deliveries if d.status == "sent")
            click.echo(f"{r.id}\t{r.kind}\t{r.key}\tv{r.version}\t{STATUS_NAMES.get(r.status, r.status)}\t"
                       f"{r.decided_by or ''}\t报送 {sent}/{len(r.deliveries)}\t{r.title}")


@click.group("risk")
def risk_cli() -> None:
    """重大决策舆情风险评估 by hand (the DAG yuqing_risk_assessment does the same with HITL forms)."""


@risk_cli.command("assess")
@click.option("--key", required=True, help="a unique key for this decision")
@click.option("--title", required=True)
@click.option("--summary", default="")
@click.option("--group", "groups", multiple=True, help="涉及群体 (repeatable)")
@click.option("--keyword", "keywords", multiple=True, help="舆情跟踪关键词 (repeatable)")
@click.option("--survey", type=click.Path(exists=True, path_type=Path))
@click.option("--interviews", type=click.Path(exists=True, path_type=Path))
@click.option("--scores", type=click.Path(exists=True, path_type=Path),
              help='JSON {"person": {"dimension": [likelihood, impact], ...} | null}')
@click.option("--verdict", type=click.Choice(["可实施", "暂缓实施", "不实施"]))
@click.option("--by", default=None, help="person id of the leader giving the verdict")
def assess_cmd(key, title, summary, groups, keywords, survey, interviews, scores, verdict, by) -> None:
    """Run every step of an assessment and render its report; optionally record the verdict."""
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.reports.store import decide, file_report
    from yuqing.risk import assessment as ra

    config = load_config()
    score_map = json.loads(scores.read_text(encoding="utf-8")) if scores else {}
    with session_scope() as session:
        a = ra.open_assessment(session, key=key, title=title, summary=summary, affected_groups=list(groups),
                               keywords=list(keywords), team=list(score_map))
        ra.track(session, a.id)
        if survey:
            result = ra.add_survey(session, a.id, survey)
            for e in result.errors:
                click.echo(f"survey: {e}", err=True)
        if interviews:
            ra.add_interviews(session, a.id, ra.read_interview_file(interviews), origin="file")
        for who, s in score_map.items():
            ra.record_scores(session, a.id, who, None if s is None else {d: tuple(v) for d, v in s.items()})
        a = ra.conclude(session, a.id)
        if verdict:
            if not by:
                raise click.ClickException("--verdict needs --by (the leader's person id)")
            ra.record_verdict(session, a.decision_id, verdict, by=by)
        report, _ = file_report(session, ra.build_risk_report(session, config, a.id))
        if verdict and report.status == "draft":
            decide(session, report.id, approve=True, by=by, note=f"决策结论：{verdict}")
        click.echo(f"decision {a.decision_id}: risk level {a.level}; report {report.id} v{report.version}")
        click.echo(_files(report))


@risk_cli.command("list")
def risk_list_cmd() -> None:
    """Every decision with its assessment status (未评估 until one is completed), level and verdict."""
    from sqlalchemy import select

    from yuqing.db import session_scope
    from yuqing.risk.assessment import UNASSESSED, decision_status
    from yuqing.risk.models import Decision

    with session_scope() as session:
        for d in session.scalars(select(Decision).order_by(Decision.id)):
            status = decision_status(d)
            level = d.assessments[-1].level if status != UNASSESSED else UNASSESSED
            verdict = d.verdict or ("待决策" if status != UNASSESSED else UNASSESSED)
            click.echo(f"{d.id}\t{status}\t{level}\t{verdict}\t{d.verdict_by or ''}\t{d.title}")

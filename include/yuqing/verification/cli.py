"""``yuqing rumour …``: mark an event or item as 疑似谣言 / 误解, list and show verifications, conclude by hand.

The Airflow DAG ``yuqing_rumour_verification`` asks the verifying bodies; these commands do what a
person at the desk does without it (and are how the service is tested fast).
"""

from __future__ import annotations

import click

from yuqing.verification.service import MARKS, OUTCOMES, STATES


def _config(ctx: click.Context):
    from yuqing.cli import _config as load

    return load(ctx)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group("rumour")
def rumour_group() -> None:
    """谣言核实 (C1): mark 疑似谣言 / 误解, list, show and conclude verifications."""


@rumour_group.command("mark")
@click.option("--event", "event_id", type=int, help="event id to mark")
@click.option("--item", "item_id", type=int, help="item id: its event is marked")
@click.option("--as", "mark", required=True, help=f"the mark: {' / '.join(MARKS)}")
@click.option("--reason", default="", help="why it is suspected (kept with the mark and in the audit trail)")
@click.option("--by", "actor", default="cli", show_default=True, help="person id of who marks it")
def rumour_mark(event_id: int | None, item_id: int | None, mark: str, reason: str, actor: str) -> None:
    """Mark an event (or the event of an item) as 疑似谣言 / 误解; marking again changes nothing."""
    from yuqing.clock import utcnow
    from yuqing.db import session_scope
    from yuqing.verification.service import VerificationError
    from yuqing.verification.service import mark as do_mark

    try:
        with session_scope() as session:
            v, created = do_mark(session, mark=mark, actor=actor, now=utcnow(), event_id=event_id, item_id=item_id,
                                 reason=reason)
            vid, eid, state, current = v.id, v.event_id, v.state, v.mark
    except VerificationError as exc:
        raise _fail(exc) from None
    what = "marked" if created else "already marked"
    click.echo(f"event {eid} {what} {current} (verification {vid}, {state})")


@rumour_group.command("list")
@click.option("--state", type=click.Choice(STATES), help="only verifications in this state")
def rumour_list(state: str | None) -> None:
    """One line per verification: id, event, mark, origin, state or outcome, event title."""
    from sqlalchemy import select

    from yuqing.db import session_scope
    from yuqing.models import Event
    from yuqing.verification.models import Verification
    from yuqing.verification.views import label_of

    with session_scope() as session:
        q = select(Verification, Event.title).join(Event, Event.id == Verification.event_id).order_by(Verification.id)
        if state:
            q = q.where(Verification.state == state)
        rows = session.execute(q).all()
        for v, title in rows:
            click.echo(f"{v.id}\tevent {v.event_id}\t{v.origin}\t{label_of(v.mark, v.state, v.outcome)}\t{title[:60]}")
        if not rows:
            click.echo("no verifications")


@rumour_group.command("show")
@click.argument("event_id", type=int)
def rumour_show(event_id: int) -> None:
    """The verification of EVENT_ID: mark, origin, cue words, each body's finding and evidence, the outcome."""
    from yuqing.clock import fmt_local
    from yuqing.db import session_scope
    from yuqing.verification.service import for_event

    with session_scope() as session:
        v = for_event(session, event_id)
        if v is None:
            raise click.ClickException(f"event {event_id} has no verification (mark it with 'yuqing rumour mark')")
        click.echo(f"event {v.event_id}: {v.mark} ({v.origin}{'：' + '、'.join(v.cues) if v.cues else ''}), "
                   f"marked by {v.marked_by}; {v.state}" + (f": {v.outcome}" if v.outcome else ""))
        if v.reason:
            click.echo(f"  reason: {v.reason}")
        for f in v.findings:
            line = f"  {f.body_name} ({f.body_kind}): {f.finding or f.status}"
            if f.status == "已答复":
                line += f" by {f.responded_by} at {fmt_local(f.responded_at)}; evidence: {f.evidence or '—'}"
                line += "".join(f" {u}" for u in f.links or [])
            click.echo(line)
        if v.outcome:
            click.echo(f"  outcome {v.outcome} by {v.concluded_by} at {fmt_local(v.concluded_at)}"
                       + (f": {v.outcome_note}" if v.outcome_note else ""))
        if v.rebuttal_run_id:
            click.echo(f"  辟谣 response: case {v.rebuttal_case}, run {v.rebuttal_run_id}")


@rumour_group.command("conclude")
@click.argument("event_id", type=int)
@click.option("--outcome", required=True, help=f"the outcome: {' / '.join(OUTCOMES)}")
@click.option("--by", "actor", required=True, help="person id of who concludes (recorded and audited)")
@click.option("--note", default="", help="the reasons for the outcome")
def rumour_conclude(event_id: int, outcome: str, actor: str, note: str) -> None:
    """Record the outcome of EVENT_ID's verification by hand (a different outcome later is audited as a revision)."""
    from yuqing.clock import utcnow
    from yuqing.db import session_scope
    from yuqing.verification.service import VerificationError, conclude, for_event

    try:
        with session_scope() as session:
            v = for_event(session, event_id)
            if v is None:
                raise VerificationError(f"event {event_id} has no verification (mark it with 'yuqing rumour mark')")
            conclude(session, v.id, outcome=outcome, by=actor, now=utcnow(), note=note)
    except VerificationError as exc:
        raise _fail(exc) from None
    click.echo(f"event {event_id}: 已核实：{outcome} (by {actor})")

"""The 核实 label of events (C1 核实衔接), shown next to every event the desk lists."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from yuqing.verification import verifications_for_events


def verification_labels(session: Session, event_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """``{event_id: {"label", "outcome"}}`` for the events that have a verification."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    return {
        event_id: {"label": str(view.label), "outcome": str(view.outcome)}
        for event_id, view in verifications_for_events(session, ids).items()
    }

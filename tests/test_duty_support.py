"""Helpers shared by the on-duty desk tests (test_duty_*.py): warnings raised the real way."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yuqing import early_warning
from yuqing.clock import SHANGHAI
from yuqing.config import Config
from yuqing.models import EarlyWarning, Event

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""liu_yang on duty (08:00–16:00, backup huang_xin) in the demo roster."""

SECRET = "test-secret-key-for-ack-links-0123456789"


def raise_event_warning(session: Session, config: Config, level: str = "较大", *, at: datetime = MONDAY_10,
                        title: str = "清风寺门票纠纷") -> EarlyWarning:
    """One event warning, raised by early_warning.raise_warnings at ``at`` (committed)."""
    event = Event(title=title, level=level, score=70.0, item_count=3, explanation={},
                  first_seen_at=at - timedelta(hours=1), last_seen_at=at, updated_at=at)
    session.add(event)
    session.flush()
    (warning,) = [w for w in early_warning.raise_warnings(session, config, now=at) if w.event_id == event.id]
    session.commit()
    return warning

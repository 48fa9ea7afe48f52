"""定期通报 and 考核 (G3) from the case table: 受理/办结/超期 per unit, on-time rate, mean and worst
response time — and 本期无案件数据 when the period has no cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from yuqing.cases.models import Case
from yuqing.clock import local_day_bounds
from yuqing.config import Config
from yuqing.reports.periodic import NO_CASES, build_period_report
from yuqing.reports.scorecard import unit_case_rows
from yuqing.reports.store import file_report

START, END = date(2026, 11, 16), date(2026, 11, 23)
T = datetime(2026, 11, 17, 1, 0, tzinfo=UTC)


def _case(session: Session, n: int, unit: str, *, opened: datetime, due_h: float, answered_h: float | None = None,
          closed_h: float | None = None) -> None:
    session.add(Case(number=f"YQ-20261117-{n:04d}", origin_key=f"item:{n}", title=f"案件{n}", case_type="投诉",
                     lead_unit=unit, first_responsible="li_hua", opened_at=opened, due_at=opened + timedelta(hours=due_h),
                     deadline_rule="48小时", updated_at=opened,
                     answered_at=opened + timedelta(hours=answered_h) if answered_h is not None else None,
                     closed_at=opened + timedelta(hours=closed_h) if closed_h is not None else None))


def test_scorecard_per_unit(session: Session, demo_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_OUTPUT_DIR", str(tmp_path))
    _case(session, 1, "venues", opened=T, due_h=48, answered_h=10, closed_h=30)  # on time
    _case(session, 2, "venues", opened=T, due_h=48, answered_h=60, closed_h=70)  # late → 超期
    _case(session, 3, "venues", opened=T, due_h=24)  # never answered, due in the week → 超期
    _case(session, 4, "religion", opened=T + timedelta(days=1), due_h=48, answered_h=2)
    _case(session, 5, "religion", opened=T + timedelta(days=10), due_h=48)  # next week: not counted
    session.flush()
    start, end = local_day_bounds(START)[0], local_day_bounds(END)[0]
    rows = {r.unit: r for r in unit_case_rows(session, demo_config, start, end)}
    venues, religion = rows["venues"], rows["religion"]
    assert (venues.accepted, venues.closed, venues.overdue, venues.answered, venues.on_time) == (3, 2, 2, 2, 1)
    assert venues.on_time_rate == 0.5 and venues.mean_hours == 35 and venues.worst_hours == 60
    assert (religion.accepted, religion.overdue, religion.on_time_rate, religion.worst_hours) == (1, 0, 1.0, 2)
    report, _ = file_report(session, build_period_report(session, demo_config, "weekly", START, END, now=T))
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert NO_CASES not in html
    assert "宗教活动场所管理科" in html and "50%" in html and "60.0" in html
    assert "本周共受理 4 件，办结 2 件，超期 2 件" in html

"""Working-day deadlines (C4; hotline 咨询 7 / 投诉 15 working days) on the official calendar."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest

from yuqing.cases.workdays import WorkdayCalendar, working_day_deadline
from yuqing.config import CalendarYear


@pytest.mark.parametrize(
    "day,expected",
    [
        (date(2026, 10, 1), False),   # 国庆节
        (date(2026, 10, 10), True),   # 调休上班 (Saturday)
        (date(2026, 10, 12), True),   # an ordinary Monday
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2026, 2, 14), True),    # 春节调休 (Saturday)
    ],
)
def test_official_calendar_knows_holidays_and_tiaoxiu(day: date, expected: bool) -> None:
    assert WorkdayCalendar().is_workday(day) is expected


def test_c4_seven_working_days_skip_the_national_day_holiday() -> None:
    # received Mon 2026-09-28 (Beijing): 9-29, 9-30, 10-8, 10-9, 10-10 (调休), 10-12, 10-13 → due 24:00 on 10-13
    wd = working_day_deadline(datetime(2026, 9, 28, 2, tzinfo=UTC), 7, {})
    assert (wd.due_at.isoformat(), wd.provisional, wd.note) == ("2026-10-14T00:00:00+08:00", False, None)


def test_c4_deadline_in_an_unknown_year_is_provisional_and_names_the_year(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        wd = working_day_deadline(datetime(2026, 12, 20, 2, tzinfo=UTC), 15, {})
    assert wd.provisional is True
    assert "2027年法定节假日和调休安排未知" in (wd.note or "") and "cases.calendar" in (wd.note or "")
    assert "no data for 2027" in caplog.text
    assert wd.due_at.date() == date(2027, 1, 9)  # weekdays only: a marked estimate, not a crash


def test_c4_config_override_for_an_unknown_year_gives_a_firm_deadline() -> None:
    override = {2027: CalendarYear(holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 9)])}
    wd = working_day_deadline(datetime(2026, 12, 28, 2, tzinfo=UTC), 5, override)
    # 12-29, 12-30, 12-31, (1-1 holiday), 1-4, 1-5 → due 24:00 on 2027-01-05
    assert (wd.due_at.isoformat(), wd.provisional) == ("2027-01-06T00:00:00+08:00", False)
    assert WorkdayCalendar(overrides=override).is_workday(date(2027, 1, 9)) is True


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="working days must be ≥ 0"):
        WorkdayCalendar().add_working_days(date(2026, 1, 5), -1)

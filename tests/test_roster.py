"""The on-duty roster (C4 24小时联络畅通): who is on duty at a Beijing time, and where nobody is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from yuqing import roster
from yuqing.clock import SHANGHAI
from yuqing.config import Config, parse_config


def _config(demo_config: Config, shifts: list[dict[str, Any]]) -> Config:
    raw = demo_config.model_dump(mode="json")
    raw["roster"] = {"shifts": shifts}
    return parse_config(raw)


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# 2026-11-23 is a Monday, 2026-11-28 a Saturday.
FULL_WEEK = [
    {
        "person": "liu_yang",
        "backup": "huang_xin",
        "start": "08:00",
        "end": "16:00",
        "weekdays": [1, 2, 3, 4, 5],
    },
    {
        "person": "huang_xin",
        "backup": "he_jing",
        "start": "16:00",
        "end": "08:00",
        "weekdays": [1, 2, 3, 4, 5],
    },
    {"person": "he_jing", "backup": "liu_yang", "start": "08:00", "end": "08:00", "weekdays": [6, 7]},
]


@pytest.mark.parametrize(
    ("at", "person", "backup"),
    [
        ("2026-11-23 08:00", "liu_yang", "huang_xin"),  # day shift begins, inclusive
        ("2026-11-23 15:59", "liu_yang", "huang_xin"),
        ("2026-11-23 16:00", "huang_xin", "he_jing"),  # handover, end exclusive
        ("2026-11-23 23:30", "huang_xin", "he_jing"),  # overnight shift before midnight
        ("2026-11-24 03:00", "huang_xin", "he_jing"),  # ... and after midnight (started Monday)
        ("2026-11-28 03:00", "huang_xin", "he_jing"),  # Friday's night shift runs into Saturday
        ("2026-11-28 12:00", "he_jing", "liu_yang"),  # weekend 24-hour shift
        ("2026-11-30 07:59", "he_jing", "liu_yang"),  # Sunday's 24-hour shift ends Monday 08:00
    ],
)
def test_on_duty_finds_the_shift_covering_a_beijing_time(
    demo_config: Config, at: str, person: str, backup: str
) -> None:
    duty = roster.on_duty(_config(demo_config, FULL_WEEK), bj(at))
    assert (duty.person.id, duty.backup and duty.backup.id) == (person, backup)
    assert duty.starts_at <= bj(at) < duty.ends_at


def test_on_duty_reads_utc_input_in_beijing_time(demo_config: Config) -> None:
    # 2026-11-23 01:00 UTC is 09:00 in Beijing: the day shift
    duty = roster.on_duty(_config(demo_config, FULL_WEEK), datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    assert duty.person.id == "liu_yang"


def test_overlapping_shifts_resolve_to_the_later_start(demo_config: Config) -> None:
    shifts = [
        {"person": "liu_yang", "start": "08:00", "end": "18:00"},
        {"person": "huang_xin", "start": "17:00", "end": "08:00"},
    ]
    assert roster.on_duty(_config(demo_config, shifts), bj("2026-11-23 17:30")).person.id == "huang_xin"


def test_uncovered_time_raises_roster_gap_with_beijing_time(demo_config: Config) -> None:
    config = _config(
        demo_config, [{"person": "liu_yang", "start": "08:00", "end": "18:00", "weekdays": [1, 2, 3, 4, 5]}]
    )
    with pytest.raises(roster.RosterGap, match=r"2026-11-28 10:00 Beijing time .*roster.shifts") as exc:
        roster.on_duty(config, bj("2026-11-28 10:00"))  # Saturday
    assert exc.value.at == bj("2026-11-28 10:00")
    with pytest.raises(roster.RosterGap, match="2026-11-23 20:00 Beijing time"):
        roster.on_duty(config, datetime(2026, 11, 23, 12, 0, tzinfo=UTC))


def test_naive_time_is_refused(demo_config: Config) -> None:
    with pytest.raises(ValueError, match="naive"):
        roster.on_duty(demo_config, datetime(2026, 11, 23, 10, 0))


def test_full_week_has_no_gaps(demo_config: Config) -> None:
    assert roster.gaps(_config(demo_config, FULL_WEEK)) == []


def test_gaps_describe_uncovered_ranges_in_chinese(demo_config: Config) -> None:
    config = _config(
        demo_config,
        [
            {"person": "liu_yang", "start": "08:00", "end": "20:00", "weekdays": [1, 2, 3, 4, 5]},
            {"person": "he_jing", "start": "20:00", "end": "02:00", "weekdays": [1, 2, 3, 4, 5, 6, 7]},
        ],
    )
    gaps = roster.gaps(config)
    assert gaps[0] == "周一 02:00 至 周一 08:00 无人值班"
    assert "周六 02:00 至 周六 20:00 无人值班" in gaps
    assert gaps[-1] == "周日 02:00 至 周日 20:00 无人值班"
    assert len(gaps) == 7


def test_gap_over_sunday_midnight_is_one_range(demo_config: Config) -> None:
    config = _config(
        demo_config,
        [{"person": "liu_yang", "start": "08:00", "end": "20:00", "weekdays": [1, 2, 3, 4, 5, 6]}],
    )
    gaps = roster.gaps(config)
    assert "周六 20:00 至 周一 08:00 无人值班" in gaps


def test_duty_of_day_lists_every_shift_on_duty_that_day(demo_config: Config) -> None:
    duty = roster.duty_of_day(_config(demo_config, FULL_WEEK), bj("2026-11-24 00:00").date())  # Tuesday
    assert [(d.person.id, f"{d.starts_at:%m-%d %H:%M}") for d in duty] == [
        ("huang_xin", "11-23 16:00"),
        ("liu_yang", "11-24 08:00"),
        ("huang_xin", "11-24 16:00"),
    ]

"""The `as_of` moment the sweeps (case handling, warning escalation) run as."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yuqing.clock import as_of_or_now


def test_as_of_with_a_zone_is_that_moment() -> None:
    assert as_of_or_now("2026-11-26T10:00:00+08:00") == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def test_no_as_of_is_now() -> None:
    for empty in (None, ""):
        assert abs(as_of_or_now(empty) - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_naive_as_of_is_refused_naming_the_value() -> None:
    with pytest.raises(ValueError, match=r"'2026-11-26T10:00:00' needs a time zone"):
        as_of_or_now("2026-11-26T10:00:00")

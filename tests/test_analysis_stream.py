"""Streaming with bounded memory: the duplicate index and open events keep a window, not the whole file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yuqing.analysis import analyze_file
from yuqing.analysis import records as records_module
from yuqing.analysis.records import RecordRun, validate_record
from yuqing.config import Config

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
VENUES = ["清风寺", "慈云寺", "东关清真寺", "玉皇观", "福音堂"]
MATTERS = ["门口商贩和香客打起来了，有人受伤", "香火钱一次收五十元，强制购买", "消防通道被占，存在安全隐患", "凌晨燃放鞭炮扰民"]


def _stream(days: int, per_day: int) -> list[dict]:
    rows = []
    for d in range(days):
        for k in range(per_day):
            venue, matter = VENUES[d % len(VENUES)], MATTERS[k % len(MATTERS)]
            rows.append({
                "id": f"d{d}k{k}",
                "text": f"{venue}{matter}，第{d}天第{k}条，民宗局管不管？",
                "published_at": (T0 + timedelta(days=d, minutes=20 * k)).isoformat(),
            })
    return rows


def test_window_bounds_the_duplicate_index_and_closes_quiet_events(demo_config: Config) -> None:
    run = RecordRun(demo_config)
    window = timedelta(hours=demo_config.grading.event_window_hours)
    closed = 0
    largest_index = largest_open = 0
    for row in _stream(days=12, per_day=20):
        run.process(validate_record(row))
        closed += len(run.take_closed())
        largest_index = max(largest_index, len(run.finder))
        largest_open = max(largest_open, len(run.grouper.events))
    per_window = 20 * (window.days + 1)
    assert largest_index <= per_window  # never the whole stream (240 items)
    assert closed > 0 and largest_open < closed + len(run.grouper.events)
    assert len(run.event_of) <= 2 * len(run.finder) + 10_000


def test_capacity_bounds_the_index_even_within_the_window(demo_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_module, "DUP_CAPACITY", 50)
    monkeypatch.setattr(records_module, "EVENT_CAPACITY", 5)
    run = RecordRun(demo_config)
    for row in _stream(days=1, per_day=60):
        run.process(validate_record(row))
        assert len(run.finder) <= 50 and len(run.grouper.events) <= 5


def test_events_file_lists_every_event_once_with_all_its_items(tmp_path: Path, demo_config: Config) -> None:
    src = tmp_path / "in.jsonl"
    rows = _stream(days=8, per_day=12)
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = analyze_file(src, tmp_path / "out.jsonl", tmp_path / "events.jsonl", demo_config)
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    events = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert report.lines_ok == len(rows) == len(out) and report.events == len(events)
    assert len({e["event_id"] for e in events}) == len(events)
    members = {i: e["event_id"] for e in events for i in e["item_ids"]}
    assert {o["id"]: o["event_id"] for o in out if o["event_id"]} == members  # merged ids relabelled
    for e in events:
        detail = e["explanation"]["factors"][1]["detail"]
        assert {"sigma", "basis", "items_last_hour", "hourly_baseline"} <= set(detail)

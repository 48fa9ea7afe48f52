"""The ``yuqing analyze`` file contract (design.md): good lines analysed, bad ones reported and skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from yuqing.analysis import analyze_file, analyze_records
from yuqing.config import LEVELS, Config

INPUT = Path(__file__).parent / "data" / "analysis" / "contract_input.jsonl"
OUTPUT_KEYS = {"id", "relevant", "matched_terms", "categories", "sentiment", "sentiment_score", "duplicate_of", "event_id"}


def _run(tmp_path: Path, config: Config) -> tuple[object, list[dict], list[dict]]:
    src = tmp_path / "in.jsonl"
    shutil.copy(INPUT, src)
    report = analyze_file(src, tmp_path / "out.jsonl", tmp_path / "events.jsonl", config)
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    events = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    return report, out, events


def test_malformed_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path, demo_config: Config) -> None:
    report, out, _ = _run(tmp_path, demo_config)
    assert report.lines_read == 12  # the blank line is not counted
    assert report.lines_ok == 6
    reasons = dict(report.errors)
    assert sorted(reasons) == [3, 5, 7, 8, 9, 13]
    assert reasons[3].startswith("invalid JSON")
    assert reasons[5] == "missing required field 'id'"
    assert reasons[7] == "'text' must be a string, got int"
    assert "published_at" in reasons[8]
    assert "engagement.likes" in reasons[9]
    assert reasons[13] == "expected a JSON object, got list"
    assert [o["id"] for o in out] == ["w1", "w2", "f1", "n1", 7, "x1"]


def test_output_objects_follow_the_contract(tmp_path: Path, demo_config: Config) -> None:
    _, out, events = _run(tmp_path, demo_config)
    by_id = {o["id"]: o for o in out}
    for o in out:
        assert set(o) == OUTPUT_KEYS
        assert o["sentiment"] in ("negative", "neutral", "positive")
        assert -1 <= o["sentiment_score"] <= 1
    assert by_id["w2"]["duplicate_of"] == "w1"
    assert by_id["w1"]["event_id"] == by_id["w2"]["event_id"] == by_id["f1"]["event_id"] == by_id["n1"]["event_id"]
    assert by_id["w1"]["sentiment"] == "negative"
    assert by_id[7]["relevant"] and by_id[7]["sentiment"] == "neutral"
    assert not by_id["x1"]["relevant"] and by_id["x1"]["event_id"] is None
    assert {e["event_id"] for e in events} == {o["event_id"] for o in out if o["event_id"]}


def test_events_file_has_title_level_heat_and_explanation(tmp_path: Path, demo_config: Config) -> None:
    _, out, events = _run(tmp_path, demo_config)
    venue = next(e for e in events if "w1" in e["item_ids"])
    assert venue["item_ids"] == ["w1", "w2", "f1", "n1"]
    assert venue["title"]
    assert venue["level"] in LEVELS and venue["level"] != "一般"
    assert venue["heat"] > 0
    names = [f["name"] for f in venue["explanation"]["factors"]]
    assert names == ["content", "reaction", "media", "reach"]
    assert venue["explanation"]["factors"][2]["detail"]["outlets"] == {"江城晚报": "mainstream"}


def test_analyze_records_shares_the_engine_and_collects_errors(demo_config: Config) -> None:
    lines = INPUT.read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines if x.strip().startswith("{")]
    errors: list[tuple[int, str]] = []
    out, events = analyze_records(records, demo_config, errors=errors)
    assert len(out) == 6 and len(errors) == 4
    assert len(events) == 2


def test_duplicate_ids_in_a_file_are_reported(tmp_path: Path, demo_config: Config) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "市民宗局通知"}\n{"id": 1, "text": "又一条"}\n', encoding="utf-8")
    report = analyze_file(src, tmp_path / "out.jsonl", None, demo_config)
    assert report.lines_ok == 1 and report.errors[0][0] == 2 and "duplicate id" in report.errors[0][1]

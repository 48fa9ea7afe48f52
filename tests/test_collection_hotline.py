"""Hotline exports (C1 热线电话): CSV/XLSX in a drop folder, each file read once, good rows always kept."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from demo.hotline_stage import stage_hotline
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_collection_support import DATA, DEMO, NOW, make_config

from yuqing.collection import SourceFailed, collect_source
from yuqing.models import CollectionCursor, Item

HEADER = ["受理编号", "来电时间", "诉求类型", "诉求内容", "来电人", "联系电话"]


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "hotline" / "inbox"
    folder.mkdir(parents=True)
    return folder


def hotline_config(inbox: Path):
    return make_config([{"id": "hotline", "name": "热线", "type": "hotline", "channel": "hotline", "folder": str(inbox)}])


def stored(session: Session) -> dict[str, Item]:
    session.expire_all()
    return {i.external_id: i for i in session.scalars(select(Item).where(Item.source_id == "hotline"))}


def test_utf8_export_is_stored_and_moved_to_processed(inbox: Path, db_url: str, session: Session) -> None:
    shutil.copy(DATA / "hotline" / "good_utf8.csv", inbox)
    summary = collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=NOW)
    assert (summary.items_found, summary.items_new, summary.items_rejected, summary.problems) == (2, 2, 0, [])
    item = stored(session)["T-001"]
    assert item.text == "清风寺强制收取香火钱" and item.title == "热线投诉：清风寺强制收取香火钱"
    assert item.published_at == datetime(2026, 11, 25, 1, 20, tzinfo=UTC)  # 09:20 Beijing
    assert item.author == "王先生" and item.channel == "hotline"
    assert item.extra == {"受理编号": "T-001", "诉求类型": "投诉", "联系电话": "139****0087"}  # phone masked
    assert not list(inbox.iterdir())
    assert (inbox.parent / "processed" / "good_utf8.csv").exists()
    assert not (inbox.parent / "processed" / "good_utf8.csv.rejected-rows.txt").exists()


def test_gbk_file_with_bad_rows_keeps_good_rows_and_lists_bad_ones(inbox: Path, db_url: str, session: Session) -> None:
    shutil.copy(DATA / "hotline" / "bad_rows_gbk.csv", inbox)
    summary = collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=NOW)
    assert (summary.status, summary.items_new, summary.items_rejected) == ("success", 2, 3)
    items = stored(session)
    assert set(items) == {"G-001", "G-005"}
    assert items["G-001"].text == "青石镇寺庙夜间燃放鞭炮扰民"  # GBK decoded
    expected_rows = [
        "row 3: 受理编号 is empty",
        "row 4: 来电时间 date '2026/11/31 11:20' not understood: no such date or time (day is out of range for month) (受理编号 G-003)",
        "row 5: 诉求内容 is empty (受理编号 G-004)",
    ]
    assert summary.problems == [f"bad_rows_gbk.csv {r}" for r in expected_rows]
    report = (inbox.parent / "processed" / "bad_rows_gbk.csv.rejected-rows.txt").read_text(encoding="utf-8")
    assert report.splitlines() == ["bad_rows_gbk.csv: 3 row(s) not stored", *expected_rows]
    # moved once: the next run finds nothing and stores nothing
    again = collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=NOW)
    assert (again.items_found, again.items_new, again.problems) == (0, 0, [])
    assert len(list((inbox.parent / "processed").iterdir())) == 2


def test_xlsx_export_with_datetime_cells(inbox: Path, db_url: str, session: Session) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["X-1", datetime(2026, 11, 25, 13, 15), "投诉", "清风寺打人", "周女士", 13900000131])
    ws.append(["X-2", "2026年11月25日 14:05", "咨询", "清真餐饮认证", None, None])
    ws.append([None, None, None, None, None, None])  # an empty row is skipped silently
    wb.save(inbox / "export.xlsx")
    summary = collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=NOW)
    assert (summary.items_new, summary.problems) == (2, [])
    items = stored(session)
    assert items["X-1"].published_at == datetime(2026, 11, 25, 5, 15, tzinfo=UTC)
    assert items["X-1"].extra["联系电话"] == "139****0131"
    assert items["X-2"].published_at == datetime(2026, 11, 25, 6, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing_column.csv", None, "missing columns 受理编号, 来电时间, 诉求内容 in the header (row 1: 编号, 时间, 内容)"),
        ("notes.txt", b"hello", "unsupported file type '.txt'; expected CSV or XLSX"),
        ("broken.xlsx", b"not a zip", "not a readable XLSX workbook"),
        ("header_only.csv", "受理编号,来电时间,诉求内容\r\n".encode(), "no usable rows: no data rows after the header (row 1)"),
        ("empty.csv", b"", "the file is empty"),
    ],
)
def test_unusable_file_goes_to_rejected_with_a_reason(
    inbox: Path, db_url: str, session: Session, name: str, content: bytes | None, reason: str
) -> None:
    if content is None:
        shutil.copy(DATA / "hotline" / name, inbox)
    else:
        (inbox / name).write_bytes(content)
    shutil.copy(DATA / "hotline" / "good_utf8.csv", inbox)  # a good file beside it is unaffected
    summary = collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=NOW)
    assert summary.items_new == 2
    assert any(p.startswith(f"{name}: rejected — ") and reason in p for p in summary.problems)
    rejected = inbox.parent / "rejected"
    assert (rejected / name).exists()
    assert reason in (rejected / f"{name}.reason.txt").read_text(encoding="utf-8")


def test_same_file_dropped_twice_is_not_read_again(inbox: Path, db_url: str, session: Session) -> None:
    shutil.copy(DATA / "hotline" / "good_utf8.csv", inbox)
    collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=NOW)
    shutil.copy(DATA / "hotline" / "good_utf8.csv", inbox / "again.csv")
    summary = collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=NOW)
    assert (summary.items_found, summary.items_new) == (0, 0)
    assert any("again.csv: identical to good_utf8.csv, already processed" in p for p in summary.problems)
    assert (inbox.parent / "processed" / "again.csv").exists()
    session.expire_all()
    state = session.get(CollectionCursor, "hotline").state
    assert [v["name"] for v in state["processed_files"].values()] == ["good_utf8.csv"]


def test_missing_drop_folder_is_a_failure(tmp_path: Path, db_url: str) -> None:
    config = hotline_config(tmp_path / "nowhere")
    with pytest.raises(SourceFailed, match=r"source hotline \(.*nowhere\): drop folder .*nowhere does not exist"):
        collect_source(config, "hotline", db_url=db_url, now=NOW)


def test_bundled_demo_exports_stage_and_collect(inbox: Path, db_url: str, session: Session) -> None:
    """The demo's three files: UTF-8 CSV, GBK CSV with one bad row, XLSX; re-dated to today."""
    now = datetime.now(UTC)
    stage_hotline(inbox, now=now)
    summary = collect_source(hotline_config(inbox), "hotline", db_url=db_url, now=now)
    assert (summary.items_new, summary.items_rejected) == (14, 1)
    assert summary.problems == [
        "mzj-hotline-20261125.csv row 6: 来电时间 date '2026/11/31 11:20' not understood: no such date or time "
        "(day is out of range for month) (受理编号 MZJ-RX-2026-1125-05)"
    ]
    session.expire_all()
    newest = session.scalar(select(func.max(Item.published_at)))
    assert timedelta_minutes(now - newest) < 60
    assert {p.name for p in (DEMO / "hotline").iterdir()} <= {p.name for p in (inbox.parent / "processed").iterdir()}


def timedelta_minutes(delta) -> float:  # noqa: ANN001 - tiny local helper
    return delta.total_seconds() / 60

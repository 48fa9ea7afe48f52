"""Hotline exports (12345 / 民宗局热线): CSV or XLSX files dropped in a folder.

Each file is read once. Then, after its rows are safely stored, it is moved:

- to ``processed/`` beside the drop folder (``var/hotline/inbox`` → ``var/hotline/processed``) when at least one row was usable. Rows that were not are listed with
  their row numbers (as a spreadsheet shows them: the header is row 1) in
  ``processed/<file>.rejected-rows.txt`` and in the run's problems — good rows are never held
  back by bad ones;
- to ``rejected/`` beside it, with ``<file>.reason.txt`` when nothing in it was usable (unknown file
  type, unreadable, required columns missing, every row bad).

Columns: 受理编号 (the external id), 来电时间 and 诉求内容 are required; 诉求类型, 来电人, 联系电话
and any other columns are kept in ``extra`` (phone numbers masked). Both UTF-8 and GBK occur.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from yuqing.collection.base import FetchContext, FetchError, FetchResult, RawItem
from yuqing.collection.dates import DateParseError, parse_datetime
from yuqing.collection.decode import DecodeError, decode_bytes
from yuqing.collection.text import plain_text
from yuqing.config import Source as SourceConfig

__all__ = ["fetch", "read_file", "FileOutcome", "REQUIRED", "mask_phone"]

REQUIRED = ("受理编号", "来电时间", "诉求内容")
OPTIONAL = {"诉求类型": "category", "来电人": "caller", "联系电话": "phone"}
SUFFIXES = (".csv", ".xlsx")
KEEP_FILES = 500
"""How many processed-file fingerprints the cursor remembers."""


class FileRejected(Exception):
    """Nothing in the file is usable; the message goes into ``<file>.reason.txt``."""


@dataclass
class FileOutcome:
    path: Path
    sha256: str
    items: list[RawItem] = field(default_factory=list)
    bad_rows: list[str] = field(default_factory=list)
    reason: str | None = None


def mask_phone(value: str) -> str:
    """Keep enough of a caller's number to call back via the hotline system, not enough to leak it."""
    digits = re.sub(r"\D", "", value)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = decode_bytes(data, what="file")
    except DecodeError as exc:
        raise FileRejected(str(exc)) from None
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    for n, row in enumerate(reader, start=1):
        yield n, list(row)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # heavy; only when there is a spreadsheet to read

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file  # noqa: BLE001
        raise FileRejected(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        ws = wb.worksheets[0]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield n, list(row)
    finally:
        wb.close()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return plain_text(value)
    return value


def read_file(path: Path, data: bytes, *, now: datetime) -> FileOutcome:
    """Rows of one export as items, plus the bad rows with their numbers; raises FileRejected."""
    outcome = FileOutcome(path=path, sha256=hashlib.sha256(data).hexdigest())
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FileRejected(f"unsupported file type '{suffix or path.name}'; expected CSV or XLSX")
    rows = _csv_rows(data) if suffix == ".csv" else _xlsx_rows(path)
    header: list[str] | None = None
    header_row = 0
    for n, row in rows:
        cells = [_cell(v) for v in row]
        if all(c in (None, "") for c in cells):
            continue
        if header is None:
            header = [str(c or "").strip() for c in cells]
            header_row = n
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise FileRejected(
                    f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                    f"in the header (row {n}: {', '.join(h for h in header if h) or 'empty'})"
                )
            continue
        record = {h: cells[i] if i < len(cells) else None for i, h in enumerate(header) if h}
        try:
            outcome.items.append(_item(record, now=now))
        except ValueError as exc:
            outcome.bad_rows.append(f"row {n}: {exc}")
    if header is None:
        raise FileRejected("the file is empty")
    if not outcome.items:
        detail = "; ".join(outcome.bad_rows[:5]) if outcome.bad_rows else f"no data rows after the header (row {header_row})"
        raise FileRejected(f"no usable rows: {detail}")
    return outcome


def _item(record: dict[str, Any], *, now: datetime) -> RawItem:
    case_id = str(record.get("受理编号") or "").strip()
    if not case_id:
        raise ValueError("受理编号 is empty")
    text = plain_text(record.get("诉求内容"))
    if not text:
        raise ValueError(f"诉求内容 is empty (受理编号 {case_id})")
    raw_time = record.get("来电时间")
    if raw_time in (None, ""):
        raise ValueError(f"来电时间 is empty (受理编号 {case_id})")
    try:
        called_at = parse_datetime(raw_time, now=now)
    except DateParseError as exc:
        raise ValueError(f"来电时间 {exc} (受理编号 {case_id})") from None
    extra: dict[str, Any] = {"受理编号": case_id}
    for column, value in record.items():
        if column in REQUIRED or column == "来电人" or value in (None, ""):  # 来电人 is the author
            continue
        if column == "联系电话":
            extra[column] = mask_phone(str(value))
        else:
            extra[column] = value.isoformat() if isinstance(value, datetime) else value
    category = plain_text(record.get("诉求类型")) or None
    return RawItem(
        external_id=case_id,
        title=f"热线{category}：{text[:30]}" if category else f"热线来电：{text[:30]}",
        text=text,
        author=plain_text(record.get("来电人")) or None,
        published_at=called_at,
        extra=extra,
    )


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists():
        target = folder / f"{stem}.{n}{suffix}"
        n += 1
    return target


def _mover(path: Path, folder: Path, note_suffix: str | None, note: str | None) -> Callable[[], list[str]]:
    def move() -> list[str]:
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder, path.name)
        try:
            path.rename(target)
        except FileNotFoundError:
            return [f"{path.name}: already moved by another run"]
        if note and note_suffix:
            (folder / f"{target.name}{note_suffix}").write_text(note + "\n", encoding="utf-8")
        return []

    return move


def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult:
    assert source.folder
    inbox = ctx.config.resolve_path(source.folder)
    if not inbox.is_dir():
        raise FetchError(f"drop folder {inbox} does not exist")
    seen: dict[str, Any] = dict(ctx.state.get("processed_files") or {})
    result = FetchResult()
    for path in sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))):
        try:
            data = path.read_bytes()
        except OSError as exc:
            result.problems.append(f"{path.name}: cannot be read ({exc}); left in place")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:  # re-dropped, or a move that a crash interrupted: nothing new to read
            before = seen[digest]
            where = "rejected" if before.get("status") == "rejected" else "processed"
            note = f"{path.name}: identical to {before['name']}, already {where} at {before['at']}"
            result.problems.append(f"{note}; moved to {where}/")
            result.after_commit.append(_mover(path, inbox.parent / where, ".reason.txt", note))
            continue
        try:
            outcome = read_file(path, data, now=ctx.now)
        except FileRejected as exc:
            result.problems.append(f"{path.name}: rejected — {exc}")
            result.after_commit.append(_mover(path, inbox.parent / "rejected", ".reason.txt", f"{path.name}: {exc}"))
            seen[digest] = {"name": path.name, "at": ctx.now.isoformat(), "rows": 0, "status": "rejected"}
            continue
        result.items.extend(outcome.items)
        result.rejected += len(outcome.bad_rows)
        result.problems.extend(f"{path.name} {row}" for row in outcome.bad_rows)
        note = None
        if outcome.bad_rows:
            note = f"{path.name}: {len(outcome.bad_rows)} row(s) not stored\n" + "\n".join(outcome.bad_rows)
        result.after_commit.append(_mover(path, inbox.parent / "processed", ".rejected-rows.txt", note))
        seen[digest] = {"name": path.name, "at": ctx.now.isoformat(), "rows": len(outcome.items), "status": "processed"}
    if len(seen) > KEEP_FILES:
        seen = dict(sorted(seen.items(), key=lambda kv: kv[1]["at"])[-KEEP_FILES:])
    result.state = {"processed_files": seen}
    return result

"""Drop the bundled hotline exports into an inbox, re-dated so the calls happened "today".

The files in ``include/demo/hotline/`` are written as if exported at :data:`EXPORTED_AT` (they are
valid as they stand). Staging moves every 来电时间 forward by (now − EXPORTED_AT), keeping the
spacing between calls, the file's encoding (UTF-8 or GBK) and its date format; a value that is
not a valid date (the GBK file has one on purpose) is left as it is.

    python include/demo/hotline_stage.py var/hotline/inbox
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = ["EXPORTED_AT", "HOTLINE", "stage_hotline"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOTLINE = Path(__file__).resolve().parent / "hotline"
EXPORTED_AT = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)
COLUMN = "来电时间"
FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M")


def _shift_text(value: str, shift: object) -> str:
    for fmt in FORMATS:
        try:
            moved = datetime.strptime(value.strip(), fmt) + shift  # type: ignore[operator]
        except ValueError:
            continue
        if "/" in fmt:  # keep the export's style: no leading zero on month, day and hour
            return f"{moved.year}/{moved.month}/{moved.day} {moved.hour}:{moved:%M}"
        return moved.strftime(fmt)
    return value


def _stage_csv(src: Path, dest: Path, shift: object) -> None:
    data = src.read_bytes()
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("gb18030"), "gbk"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    col = rows[0].index(COLUMN)
    for row in rows[1:]:
        if col < len(row):
            row[col] = _shift_text(row[col], shift)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    dest.write_bytes(out.getvalue().encode(encoding))


def _stage_xlsx(src: Path, dest: Path, shift: object) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(src)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index(COLUMN) + 1
    for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
        if isinstance(cell.value, datetime):
            cell.value = cell.value + shift  # type: ignore[operator]
        elif isinstance(cell.value, str):
            cell.value = _shift_text(cell.value, shift)
    wb.save(dest)


def stage_hotline(inbox: Path, *, now: datetime | None = None, source: Path = HOTLINE) -> list[Path]:
    """Copy every bundled export into ``inbox`` with its call times moved to end shortly before now."""
    now = (now or datetime.now(UTC)).astimezone(SHANGHAI)
    shift = now.replace(second=0, microsecond=0, tzinfo=None) - EXPORTED_AT.replace(tzinfo=None)
    inbox.mkdir(parents=True, exist_ok=True)
    staged = []
    for src in sorted(p for p in source.iterdir() if p.is_file()):
        dest = inbox / src.name
        if src.suffix.lower() == ".csv":
            _stage_csv(src, dest, shift)
        elif src.suffix.lower() == ".xlsx":
            _stage_xlsx(src, dest, shift)
        else:
            shutil.copy(src, dest)
        staged.append(dest)
    return staged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stage the demo hotline exports, re-dated to today.")
    parser.add_argument("inbox", type=Path)
    args = parser.parse_args(argv)
    for path in stage_hotline(args.inbox):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

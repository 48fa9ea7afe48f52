"""抽样调查: import survey responses from CSV or XLSX, and the shares with 95% confidence intervals.

File format (first row = header; Chinese or English names):
  编号/respondent (required, unique), 态度/stance (required: 支持|反对|中立 or support|oppose|neutral),
  群体/group (optional), 意见/comment (optional).
A bad row (no respondent, unknown stance, a respondent seen before) is not imported; it is reported
with its row number (the header is row 1) and the reason, and the good rows are kept. Importing the
same file again adds nothing (unique per assessment and respondent).

Shares use the Wilson score interval at 95% (z = 1.96), which stays inside 0–100% for small or
extreme samples. Fewer than ``MIN_SAMPLE`` valid answers, or fewer than 5 answers on either side
of a share, gets a small-sample warning: the intervals are then too wide to decide on.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.risk.models import SurveyResponse

MIN_SAMPLE = 30
Z95 = 1.96
STANCES = {"支持": "support", "反对": "oppose", "中立": "neutral", "support": "support", "oppose": "oppose",
           "neutral": "neutral", "赞成": "support", "无所谓": "neutral", "不清楚": "neutral"}
STANCE_NAMES = {"support": "支持", "oppose": "反对", "neutral": "中立"}
COLUMNS = {"respondent": ("编号", "respondent", "受访者", "问卷编号"), "stance": ("态度", "stance"),
           "group": ("群体", "group", "类别"), "comment": ("意见", "comment", "意见建议")}


class SurveyFileError(ValueError):
    """The survey file cannot be read at all (missing, wrong type, no usable header)."""


@dataclass
class SurveyImport:
    path: str
    imported: int = 0
    already: int = 0
    errors: list[str] = field(default_factory=list)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _rows(path: Path) -> list[list[str]]:
    if not path.exists():
        raise SurveyFileError(f"{path}: survey file not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SurveyFileError(f"{path}: not UTF-8 or GB18030 text")
        return [[c.strip() for c in row] for row in csv.reader(text.splitlines())]
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a broken file
            raise SurveyFileError(f"{path}: cannot read the workbook: {exc}") from None
        ws = wb.worksheets[0]
        return [["" if v is None else str(v).strip() for v in row] for row in ws.iter_rows(values_only=True)]
    raise SurveyFileError(f"{path}: unsupported survey file type {suffix or '(none)'}; use .csv or .xlsx")


def import_survey(session: Session, assessment_id: int, path: Path | str) -> SurveyImport:
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise SurveyFileError(f"{path}: the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    where: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in [n.lower() for n in names]:
                where[key] = i
                break
    missing = [COLUMNS[k][0] for k in ("respondent", "stance") if k not in where]
    if missing:
        raise SurveyFileError(f"{path}: row 1: missing column(s) {', '.join(missing)} (found: {', '.join(rows[0])})")
    result = SurveyImport(path=str(path))
    known = set(session.scalars(select(SurveyResponse.respondent).where(SurveyResponse.assessment_id == assessment_id)))
    seen_in_file: dict[str, int] = {}

    def cell(row: list[str], key: str) -> str:
        i = where.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        respondent, stance_raw = cell(row, "respondent"), cell(row, "stance")
        if not respondent:
            result.errors.append(f"第{number}行：缺少编号")
            continue
        stance = STANCES.get(stance_raw.lower())
        if stance is None:
            result.errors.append(f"第{number}行（{respondent}）：态度“{stance_raw}”无法识别，应为支持/反对/中立")
            continue
        if respondent in seen_in_file:
            result.errors.append(f"第{number}行（{respondent}）：编号与第{seen_in_file[respondent]}行重复")
            continue
        seen_in_file[respondent] = number
        if respondent in known:
            result.already += 1
            continue
        session.add(SurveyResponse(assessment_id=assessment_id, respondent=respondent, stance=stance,
                                   group=cell(row, "group") or None, comment=cell(row, "comment") or None,
                                   source_row=number))
        result.imported += 1
    session.flush()
    return result


def survey_stats(session: Session, assessment_id: int) -> dict:
    stances = list(session.scalars(select(SurveyResponse.stance).where(SurveyResponse.assessment_id == assessment_id)))
    n = len(stances)
    shares = {}
    for key, name in STANCE_NAMES.items():
        k = stances.count(key)
        lo, hi = wilson(k, n)
        shares[key] = {"name": name, "count": k, "share": k / n if n else 0.0, "low": lo, "high": hi}
    small = n < MIN_SAMPLE or any(0 < s["count"] < 5 or 0 < n - s["count"] < 5 for s in shares.values())
    warning = ""
    if n == 0:
        warning = "未导入有效问卷，无法估计群众态度。"
    elif small:
        warning = (f"样本量偏小（有效问卷 {n} 份，建议不少于 {MIN_SAMPLE} 份，且各态度不少于 5 份），"
                   "置信区间较宽，结论仅供参考，建议扩大抽样。")
    return {"n": n, "shares": shares, "small_sample": bool(small or n == 0), "warning": warning}

"""Reports in HTML, PDF and DOCX: 0, 1 and 10,000 items, Chinese that extracts back intact from
the PDF in an embedded CJK font, charts embedded, personal data masked in every format, versions
by content, the 周报 of an empty week and its 定期通报/考核 (本期无案件数据)."""

from __future__ import annotations

import subprocess
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy.orm import Session

from yuqing.config import Config
from yuqing.models import Event, Item, Source
from yuqing.reports.periodic import NO_CASES, build_period_report, month_of, week_of
from yuqing.reports.special import build_special_report
from yuqing.reports.store import ReportError, decide, file_report, plan_deliveries

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday 10:00 Beijing
PHONE, ID_CARD, PLATE = "13812345678", "110101199003074514", "京A12345"


@pytest.fixture(autouse=True)
def _out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_OUTPUT_DIR", str(tmp_path / "out"))


def _event(session: Session, n_items: int) -> Event:
    for sid, ch in (("weibo", "weibo"), ("forum", "forum"), ("news", "news")):
        session.add(Source(id=sid, name=f"{sid}信源", type="rss", channel=ch))
    ev = Event(title="清风寺强制收香火钱打人", level="重大", score=72.5, item_count=n_items,
               explanation={"factors": [{"name": "content", "label": "舆情内容", "value": 0.8}]},
               response_value="需回应", first_seen_at=T0, last_seen_at=T0 + timedelta(hours=30), updated_at=T0)
    session.add(ev)
    session.flush()
    chans = ("weibo", "forum", "news")
    rows = [
        {"source_id": chans[i % 3], "external_id": str(i), "channel": chans[i % 3], "event_id": ev.id,
         "title": f"清风寺香火钱第{i}帖" if i else f"清风寺打人，联系{PHONE}，身份证{ID_CARD}，车牌{PLATE}",
         "text": f"正文{i} <script>alert(1)</script>", "content_hash": str(i), "relevant": True,
         "sentiment": ("negative", "neutral", "positive")[i % 3], "engagement": {"comments": i % 97},
         "collected_at": T0 + timedelta(minutes=i % 1800), "url": f"https://weibo.example/{i}"}
        for i in range(n_items)
    ]
    if rows:
        session.execute(Item.__table__.insert(), rows)
    session.flush()
    return ev


def _pdf_text(path: str) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, text=True, check=True).stdout


def _docx_text(path: str) -> str:
    doc = Document(path)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.mark.parametrize("n_items", [0, 1, 10_000])
def test_special_report_renders_in_every_format(session: Session, demo_config: Config, n_items: int) -> None:
    ev = _event(session, n_items)
    started = time.perf_counter()
    doc = build_special_report(session, demo_config, ev.id, now=T0 + timedelta(days=2))
    report, new = file_report(session, doc)
    took = time.perf_counter() - started
    assert new and report.version == 1
    assert took < 30, f"{n_items} items took {took:.1f}s"
    pdf = _pdf_text(report.files["pdf"])
    flat = pdf.replace("\n", "")
    assert "舆情专报" in flat and "七、处置建议" in flat
    fonts = subprocess.run(["pdffonts", report.files["pdf"]], capture_output=True, text=True, check=True).stdout
    assert "Noto-Serif-CJK-SC" in fonts or "Noto-Sans-CJK-SC" in fonts
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    docx = _docx_text(report.files["docx"])
    with zipfile.ZipFile(report.files["docx"]) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert len(media) == 2, "both charts embedded in the DOCX"
    assert html.count("<img ") == 2
    for text in (pdf, html, docx):
        assert PHONE not in text and ID_CARD not in text and PLATE not in text
        assert "<script>" not in text
    if n_items == 0:
        assert "暂无关联" in flat
    else:
        assert "138****5678" in html and "〔依据：" in html
        assert f"共监测到相关信息 {n_items} 条" in html
        assert all(f"#{i}" in html for i in report.item_refs[:3])
    # same content rendered again later: no new version (the render time is shown, not hashed)
    again, new = file_report(session, build_special_report(session, demo_config, ev.id, now=T0 + timedelta(days=3)))
    assert not new and again.id == report.id


def test_new_content_is_a_new_version_and_only_approved_versions_are_planned(session: Session, demo_config: Config) -> None:
    ev = _event(session, 3)
    v1, _ = file_report(session, build_special_report(session, demo_config, ev.id, now=T0))
    with pytest.raises(ReportError, match="先审批后报送"):
        plan_deliveries(session, demo_config, v1.id)
    ev.level = "特别重大"
    v2, new = file_report(session, build_special_report(session, demo_config, ev.id, now=T0))
    assert new and v2.version == 2 and v2.id != v1.id
    decide(session, v2.id, approve=True, by="li_hua")
    with pytest.raises(ReportError, match="already 已批准"):
        decide(session, v2.id, approve=False, by="wang_jun")
    rows = plan_deliveries(session, demo_config, v2.id)
    assert len(rows) == len(plan_deliveries(session, demo_config, v2.id)) >= 2


def test_weekly_report_of_an_empty_week(session: Session, demo_config: Config) -> None:
    start, end = week_of(date(2026, 11, 23))
    assert (start, end) == (date(2026, 11, 16), date(2026, 11, 23))
    doc = build_period_report(session, demo_config, "weekly", start, end, now=T0)
    report, _ = file_report(session, doc)
    assert report.key == "2026-W47"
    flat = _pdf_text(report.files["pdf"]).replace("\n", "")
    assert "本周无相关舆情信息" in flat and NO_CASES in flat and "本周无重大决策事项" in flat
    assert "三、案件办理定期通报" in flat and "四、考核情况" in flat


def test_monthly_rollup_counts_the_month(session: Session, demo_config: Config) -> None:
    _event(session, 30)
    start, end = month_of(date(2026, 12, 1))
    assert (start, end) == (date(2026, 11, 1), date(2026, 12, 1))
    doc = build_period_report(session, demo_config, "monthly", start, end, now=T0)
    assert doc.key == "2026-11" and doc.extra["items"] == 30 and doc.extra["events"] == 1
    report, _ = file_report(session, doc)
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert "共采集信息 30 条" in html and "【重大】" in html and PHONE not in html

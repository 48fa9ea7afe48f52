"""Render a ``ReportDocument`` as HTML, PDF (WeasyPrint) and DOCX (docxtpl), with charts embedded.

Fonts: the setup installs ``fonts-noto-cjk`` (and ``libharfbuzz-subset0`` for fast subsetting);
the HTML sets ``lang="zh-CN"`` and the Noto CJK SC families on ``html`` and ``@page`` so the PDF
looks the same on every machine, and matplotlib registers the Noto Sans CJK file with ``addfont``
so chart labels are real glyphs, whatever its font cache holds. The DOCX template's styles carry
``w:eastAsia`` fonts (宋体/黑体, which office PCs have), and is rendered with ``autoescape=True``.

Every piece of text is masked (``document.masked``) before any format is written; heavy libraries
are imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from yuqing.paths import templates_dir
from yuqing.reports.document import Chart, Paragraph, ReportDocument, Table, masked
from yuqing.templating import render, safe_url

log = logging.getLogger(__name__)

CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)
DOCX_TEMPLATE = "reports/report.docx"
CHART_COLOURS = ("#c62828", "#9e9e9e", "#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#f9a825")
DOCX_MAX_ROWS = 500
"""A DOCX table longer than this is cut, with a note (offices edit these; LibreOffice and Word slow
down badly on thousands of rows). The HTML and PDF carry the same bounded tables."""


class FontsMissing(RuntimeError):
    """No CJK font is installed: the PDF would show boxes. Run ``make setup`` (as root)."""


@dataclass(frozen=True)
class RenderedFiles:
    html: Path
    pdf: Path
    docx: Path
    charts: tuple[Path, ...]

    def as_dict(self) -> dict[str, str]:
        return {"html": str(self.html), "pdf": str(self.pdf), "docx": str(self.docx)}


def _cjk_font_file() -> str:
    for path in CJK_FONT_FILES:
        if Path(path).exists():
            return path
    raise FontsMissing(
        "no Noto CJK font found (looked for " + ", ".join(CJK_FONT_FILES) + "); "
        "install fonts-noto-cjk (make setup does it when run as root)"
    )


def slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z\u4e00-\u9fff_-]+", "-", text).strip("-") or "report"


# -- charts -----------------------------------------------------------------------------------------


def draw_chart(chart: Chart, path: Path) -> Path:
    """Draw one chart as a 160-dpi PNG with Chinese labels in Noto Sans CJK SC."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    for f in CJK_FONT_FILES:
        if Path(f).exists():
            font_manager.fontManager.addfont(f)
    _cjk_font_file()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False

    fig, ax = plt.subplots(figsize=(7.2, 3.2), dpi=160)
    try:
        labels = list(chart.labels)
        has_data = bool(labels) and any(any(v for v in values) for _, values in chart.series)
        if not has_data:
            ax.text(0.5, 0.5, "本期无数据", ha="center", va="center", fontsize=14, color="#888", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        elif chart.kind == "line":
            x = range(len(labels))
            for i, (name, values) in enumerate(chart.series):
                ax.plot(x, values, marker="o" if len(labels) < 40 else None, label=name,
                        color=CHART_COLOURS[i % len(CHART_COLOURS)], linewidth=1.6, markersize=3)
            step = max(1, len(labels) // 12)
            ax.set_xticks(list(x)[::step])
            ax.set_xticklabels(labels[::step], rotation=30, ha="right", fontsize=8)
            ax.legend(fontsize=8, frameon=False)
        elif chart.kind == "barh":
            name, values = chart.series[0]
            ax.barh(labels[::-1], list(values)[::-1], color=CHART_COLOURS[3])
            for y, v in enumerate(list(values)[::-1]):
                ax.text(v, y, f" {v:g}", va="center", fontsize=8)
        else:  # bar / stacked
            x = range(len(labels))
            bottom = [0.0] * len(labels)
            width = 0.8 / (1 if chart.kind == "stacked" else max(1, len(chart.series)))
            for i, (name, values) in enumerate(chart.series):
                if chart.kind == "stacked":
                    ax.bar(x, values, 0.6, bottom=bottom, label=name, color=CHART_COLOURS[i % len(CHART_COLOURS)])
                    bottom = [b + v for b, v in zip(bottom, values, strict=True)]
                else:
                    ax.bar([p + i * width for p in x], values, width, label=name,
                           color=CHART_COLOURS[(i + 3) % len(CHART_COLOURS)])
            ax.set_xticks([p + (0 if chart.kind == "stacked" else width * (len(chart.series) - 1) / 2) for p in x])
            ax.set_xticklabels(labels, rotation=0 if len(labels) <= 8 else 30, fontsize=8)
            if len(chart.series) > 1:
                ax.legend(fontsize=8, frameon=False)
        ax.set_title(chart.title, fontsize=11)
        if chart.y_label:
            ax.set_ylabel(chart.y_label, fontsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


# -- HTML and PDF -----------------------------------------------------------------------------------


def _blocks_for_template(doc: ReportDocument, chart_files: dict[int, str]) -> list[dict]:
    sections = []
    for s in doc.sections:
        blocks = []
        for b in s.blocks:
            if isinstance(b, Paragraph):
                blocks.append({"type": "p", "text": b.text, "style": b.style, "more": b.more_refs,
                               "refs": [{"id": r.item_id, "url": safe_url(r.url)} for r in b.refs]})
            elif isinstance(b, Table):
                blocks.append({"type": "table", "columns": b.columns, "rows": b.rows, "note": b.note,
                               "empty": b.empty, "numeric": b.numeric})
            elif isinstance(b, Chart):
                blocks.append({"type": "chart", "src": chart_files[id(b)], "title": b.title})
        sections.append({"heading": s.heading, "blocks": blocks})
    return sections


def render_html(doc: ReportDocument, out_dir: Path, chart_files: dict[int, str]) -> str:
    return render(
        "reports/report.html.j2",
        doc=doc,
        sections=_blocks_for_template(doc, chart_files),
        sources=[{**r.__dict__, "url": safe_url(r.url)} for r in doc.sources],
    )


def html_to_pdf(html: str, base_dir: Path, pdf_path: Path) -> Path:
    from weasyprint import HTML

    _cjk_font_file()
    tmp = pdf_path.with_name(f".tmp-{pdf_path.name}")
    HTML(string=html, base_url=str(base_dir)).write_pdf(tmp)
    os.replace(tmp, pdf_path)
    return pdf_path


# -- DOCX -------------------------------------------------------------------------------------------


def _docx_table(sub, table: Table) -> None:
    from docx.shared import Pt

    if not table.rows:
        sub.add_paragraph(table.empty)
        return
    rows = table.rows[:DOCX_MAX_ROWS]
    t = sub.add_table(rows=1, cols=len(table.columns))
    t.style = "Table Grid"
    for cell, name in zip(t.rows[0].cells, table.columns, strict=True):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    # build rows by copying the XML of a prototype row: add_row().cells is slow for long tables
    for row in rows:
        cells = t.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = str(value)
    for row in t.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9)
    note = table.note
    if len(table.rows) > DOCX_MAX_ROWS:
        note = (note + "；" if note else "") + f"共 {len(table.rows)} 行，此处列出前 {DOCX_MAX_ROWS} 行"
    if note:
        sub.add_paragraph(note, style="Caption" if "Caption" in [s.name for s in sub.styles] else None)


def render_docx(doc: ReportDocument, docx_path: Path, chart_paths: dict[int, Path]) -> Path:
    from docx.shared import Cm
    from docxtpl import DocxTemplate

    template = templates_dir() / DOCX_TEMPLATE
    if not template.exists():
        raise FileNotFoundError(f"DOCX template missing: {template} (build it with include/yuqing/reports/docx_template.py)")
    tpl = DocxTemplate(str(template))
    sub = tpl.new_subdoc()
    for s in doc.sections:
        sub.add_heading(s.heading, level=1)
        for b in s.blocks:
            if isinstance(b, Paragraph):
                text = b.text
                if b.refs:
                    text += "〔依据：" + "、".join(f"#{r.item_id}" for r in b.refs)
                    text += (f" 等{len(b.refs) + b.more_refs}条" if b.more_refs else "") + "〕"
                sub.add_paragraph(text)
            elif isinstance(b, Table):
                _docx_table(sub, b)
            elif isinstance(b, Chart):
                sub.add_picture(str(chart_paths[id(b)]), width=Cm(16))
    if doc.sources:
        sub.add_heading("依据信息", level=1)
        _docx_table(sub, Table(columns=("编号", "来源", "时间", "标题/摘要", "链接"),
                               rows=tuple((f"#{r.item_id}", r.source, r.time, r.title, r.url) for r in doc.sources)))
    tpl.render(
        {
            "organisation": doc.organisation,
            "title": doc.title,
            "subtitle": doc.subtitle,
            "meta": "　".join(f"{k}：{v}" for k, v in doc.meta),
            "body": sub,
            "footer": doc.footer + (f"　生成时间：{doc.generated_at}" if doc.generated_at else ""),
        },
        autoescape=True,
    )
    fd, tmp = tempfile.mkstemp(dir=docx_path.parent, prefix=".tmp-", suffix=".docx")
    os.close(fd)
    try:
        tpl.save(tmp)
        os.replace(tmp, docx_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return docx_path


# -- all formats ------------------------------------------------------------------------------------


def render_all(doc: ReportDocument, out_dir: Path, stem: str) -> RenderedFiles:
    """Write ``stem``.html / .pdf / .docx and the chart PNGs into ``out_dir``; reruns overwrite."""
    doc = masked(doc)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts: dict[int, Path] = {}
    n = 0
    for s in doc.sections:
        for b in s.blocks:
            if isinstance(b, Chart):
                n += 1
                charts[id(b)] = draw_chart(b, out_dir / f"{stem}-图{n}-{slug(b.name)}.png")
    html = render_html(doc, out_dir, {k: p.name for k, p in charts.items()})
    html_path = out_dir / f"{stem}.html"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".tmp-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(html)
    os.replace(tmp, html_path)
    pdf_path = html_to_pdf(html, out_dir, out_dir / f"{stem}.pdf")
    docx_path = render_docx(doc, out_dir / f"{stem}.docx", charts)
    return RenderedFiles(html=html_path, pdf=pdf_path, docx=docx_path, charts=tuple(charts.values()))

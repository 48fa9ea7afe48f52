"""Build templates/reports/report.docx, the docxtpl template every report's DOCX is rendered from.

Run after changing the styles: ``.venv/bin/python include/yuqing/reports/docx_template.py``.
A4 paper; East Asian fonts set on the styles (宋体 body, 黑体 headings) with the theme font
attributes removed, since those override ``w:eastAsia``. Placeholders: ``{{ organisation }}``,
``{{ title }}``, ``{{ subtitle }}``, ``{{ meta }}``, ``{{p body }}`` (a subdocument) and ``{{ footer }}``.
"""

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parents[3] / "templates" / "reports" / "report.docx"


def east_asian(style, latin: str, east: str, size: float | None = None) -> None:
    style.font.name = latin
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:eastAsia"), east)
    if size:
        style.font.size = Pt(size)


def main() -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    east_asian(doc.styles["Normal"], "Times New Roman", "宋体", 12)
    east_asian(doc.styles["Title"], "Times New Roman", "黑体", 20)
    for name, size in (("Heading 1", 14), ("Heading 2", 13), ("Heading 3", 12)):
        st = doc.styles[name]
        east_asian(st, "Times New Roman", "黑体", size)
        st.font.color.rgb = RGBColor(0x22, 0x22, 0x22)
    east_asian(doc.styles["Caption"], "Times New Roman", "宋体", 9)

    org = doc.add_paragraph()
    org.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = org.add_run("{{ organisation }}")
    run.bold = True
    run.font.size = Pt(22)
    run.font.color.rgb = RGBColor(0xB7, 0x1C, 0x1C)
    title = doc.add_paragraph("{{ title }}", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph("{{ subtitle }}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = doc.add_paragraph("{{ meta }}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("{{p body }}")
    foot = doc.add_paragraph("{{ footer }}", style="Caption")
    foot.alignment = WD_ALIGN_PARAGRAPH.LEFT
    doc.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

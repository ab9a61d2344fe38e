"""The incident report as PDF: the same sections as the HTML, in a CJK font.

One font face (Noto Sans CJK, shipped as a wheel) covers Chinese and Latin text, so
nothing is fetched at run time. Text flows with ``write`` and ``multi_cell``, which
wrap long English and Chinese text and break pages anywhere; only the evidence list
and the timeline, whose cells are short, are tables.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from complaints.report.view import Facts, ReportContent, Section, Table

FONT = "noto-sans-cjk"
FONT_FILE = files("cvttf_NotoSansCJK_Regular") / "NotoSansCJKtc-Regular.otf"
INK = (31, 41, 51)
MUTED = (82, 96, 109)
ACCENT = (36, 59, 83)
RULE = (217, 226, 236)
HEADING_FILL = (240, 244, 248)
LINE = 5.0
# Relative widths of the table columns (evidence: 6 columns, timeline: 4).
WIDTHS = {6: (30, 16, 10, 14, 26, 18), 4: (32, 38, 18, 12)}


class ReportPDF(FPDF):
    """An A4 page with the reports' margins and a footer of ``footer_text`` and page numbers."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


@contextmanager
def opened_pdf(footer_text: str, title: str, creator: str) -> Iterator[ReportPDF]:
    """Start a document in the CJK font, on its first page; write it within the block."""
    pdf = ReportPDF(footer_text)
    pdf.set_title(title)
    pdf.set_creator(creator)
    # The font is read while the PDF is written, so all of it happens within as_file.
    with as_file(FONT_FILE) as font:
        pdf.add_font(FONT, "", str(font))
        pdf.add_page()
        yield pdf


def render_pdf(content: ReportContent) -> bytes:
    """Return the report as PDF bytes."""
    title = f"{content.title} {content.reference}"
    with opened_pdf(content.reference, title, content.organization) as pdf:
        _title(pdf, content)
        for number, section in enumerate(content.sections, 1):
            _section(pdf, number, section, content.none, content.separator)
        return bytes(pdf.output())


def clean(text: str) -> str:
    """Return text without control characters (a PDF shows them as boxes), lines kept."""
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")


def write_title(pdf: FPDF, organization: str, title: str) -> None:
    """Write the organization over the document's title; leave the body font set."""
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, LINE, clean(organization), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=20)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 10, clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*INK)


def _title(pdf: FPDF, content: ReportContent) -> None:
    write_title(pdf, content.organization, content.title)
    sep = content.separator
    line = (
        f"{content.reference_label}{sep}{content.reference}    "
        f"{content.generated_label}{sep}{content.generated}"
    )
    pdf.multi_cell(0, LINE, clean(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _section(pdf: FPDF, number: int, section: Section, none: str, separator: str) -> None:
    write_heading(pdf, number, section.title)
    if not section.blocks:
        write_none(pdf, none)
    for block in section.blocks:
        if isinstance(block, Facts):
            write_facts(pdf, block, separator)
        else:
            write_table(pdf, block)


def write_heading(pdf: FPDF, number: int, title: str) -> None:
    """Write a numbered section heading, also an entry of the document outline."""
    pdf.ln(4)
    # Each section is also an entry of the document outline (the reader's bookmarks).
    pdf.start_section(f"{number}. {title}")
    pdf.set_font(FONT, size=14)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 8, f"{number}. {title}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def write_none(pdf: FPDF, none: str) -> None:
    """Write the muted line of a section with nothing in it."""
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, LINE, none, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def write_block_title(pdf: FPDF, title: str) -> None:
    """Write the title of a block (nothing for an untitled one)."""
    if not title:
        return
    pdf.ln(1)
    pdf.set_font(FONT, size=11)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 6, clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def write_facts(pdf: FPDF, block: Facts, separator: str) -> None:
    """Write each fact as ``label: value``, the value wrapping under it."""
    write_block_title(pdf, block.title)
    pdf.set_font(FONT, size=10)
    for fact in block.items:
        pdf.set_x(pdf.l_margin)
        pdf.set_text_color(*MUTED)
        pdf.write(LINE, f"{clean(fact.label)}{separator}")
        pdf.set_text_color(*INK)
        pdf.write(LINE, clean(fact.value))
        pdf.ln(LINE + 0.8)
    pdf.ln(1)


def write_table(
    pdf: FPDF,
    block: Table,
    *,
    widths: tuple[float, ...] | None = None,
    align: str | tuple[str, ...] = "LEFT",
) -> None:
    """Write a table; ``widths`` are relative (default: by its number of columns)."""
    write_block_title(pdf, block.title)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    if widths is None:
        widths = WIDTHS.get(len(block.columns), tuple(1 for _ in block.columns))
    with pdf.table(
        col_widths=widths,
        text_align=align,
        line_height=4,
        # The font has one face: headings are shaded, not bold.
        headings_style=FontFace(emphasis=None, color=ACCENT, fill_color=HEADING_FILL),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        table.row(block.columns)
        for values in block.rows:
            table.row(tuple(clean(value) for value in values))
    pdf.ln(2)

"""The trend analysis as PDF: the incident report's look, with its charts as images."""

from __future__ import annotations

import io

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from PIL import Image

from complaints.report.pdf import (
    ACCENT,
    LINE,
    clean,
    opened_pdf,
    write_block_title,
    write_facts,
    write_heading,
    write_none,
    write_table,
    write_title,
)
from complaints.report.view import Facts, Section, Table
from complaints.reviews.charts import DPI, Chart
from complaints.reviews.view import ReviewContent

MM_PER_INCH = 25.4
# The height a section heading and a block title take (mm).
HEADING, CAPTION = 16.0, 8.0


def render_review_pdf(content: ReviewContent, charts: list[Chart]) -> bytes:
    """Return the analysis as PDF bytes, each chart in the section it illustrates."""
    title = f"{content.title} {content.period}"
    with opened_pdf(title, title, content.organization) as pdf:
        _title(pdf, content)
        for number, section in enumerate(content.sections, 1):
            shown = [c for c in charts if c.section == section.key]
            _section(pdf, number, section, shown, content)
        return bytes(pdf.output())


def _title(pdf: FPDF, content: ReviewContent) -> None:
    write_title(pdf, content.organization, content.title)
    sep = content.separator
    lines = [
        f"{content.period_label}{sep}{content.period} ({content.span})",
        f"{content.scope_label}{sep}{content.scope}",
    ]
    for line in lines:
        pdf.multi_cell(0, LINE, clean(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if content.notice:
        pdf.ln(2)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(0, LINE, clean(content.notice), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _section(
    pdf: FPDF, number: int, section: Section, charts: list[Chart], content: ReviewContent
) -> None:
    """Write a section, its charts before its first table (after the facts it sums up)."""
    opens_with_chart = charts and not (section.blocks and isinstance(section.blocks[0], Facts))
    # A heading is never left at the foot of a page without the chart that follows it.
    if opens_with_chart:
        _keep_room(pdf, HEADING + CAPTION + _size(pdf, charts[0])[1])
    write_heading(pdf, number, section.title)
    if not section.blocks and not charts:
        write_none(pdf, content.none)
    pending = list(charts)
    for block in section.blocks:
        if isinstance(block, Facts):
            write_facts(pdf, block, content.separator)
            continue
        while pending:
            _chart(pdf, pending.pop(0))
        _table(pdf, block)
    for chart in pending:
        _chart(pdf, chart)


def _table(pdf: FPDF, block: Table) -> None:
    """Write a table: the first column names, the others hold figures (right-aligned)."""
    # The same widths for every table, so the Pareto tables line up one under another.
    others = len(block.columns) - 1
    widths = (3.0, *([1.0] * others))
    write_table(pdf, block, widths=widths, align=("LEFT", *(["RIGHT"] * others)))


def _chart(pdf: FPDF, chart: Chart) -> None:
    """Write a chart at its own size (its pixels at DPI), centred, under its caption."""
    width, height = _size(pdf, chart)
    # A caption is never left at the foot of a page without its chart.
    _keep_room(pdf, CAPTION + height)
    write_block_title(pdf, chart.title)
    pdf.image(io.BytesIO(chart.png), x=Align.C, w=width, alt_text=chart.title)
    pdf.ln(3)


def _size(pdf: FPDF, chart: Chart) -> tuple[float, float]:
    """Return the width and height a chart takes on the page (mm)."""
    with Image.open(io.BytesIO(chart.png)) as image:
        width = min(image.width / DPI * MM_PER_INCH, pdf.epw)
        return width, width * image.height / image.width


def _keep_room(pdf: FPDF, height: float) -> None:
    """Start a new page unless ``height`` mm fit on this one."""
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()

"""The trend analysis as charts: PNG images for the email and the PDF.

Figures are drawn with ``matplotlib.figure.Figure`` on an Agg canvas, never through
pyplot, so no display is needed and no global figure state is shared between threads.
Every text is set in Noto Sans CJK (the PDF's font), so Chinese labels render too.
"""

from __future__ import annotations

import atexit
import io
import textwrap
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator, PercentFormatter

from complaints.enums import Locale
from complaints.i18n import translator
from complaints.organization import Organization
from complaints.report.pdf import FONT_FILE
from complaints.reviews.figures import PeriodCounts, TrendFigures
from complaints.reviews.view import key_label

DPI = 110
# 600 px wide at DPI: the width of an HTML email's body.
WIDTH_IN = 600 / DPI
TREND_HEIGHT_IN = 300 / DPI
PARETO_HEIGHT_IN = 330 / DPI
TOP = 8
INK = "#1f2933"
MUTED = "#52606d"
NEW = "#243b53"
CLOSED = "#7fa3c7"
OPEN = "#c2410c"
RULE = "#d9e2ec"
_font_files = ExitStack()
atexit.register(_font_files.close)


@dataclass(frozen=True)
class Chart:
    """One chart: a file-safe name ("trend", "pareto-category"), its caption, the image."""

    name: str
    title: str
    png: bytes
    # The section of the review content it illustrates.
    section: str


def review_charts(figures: TrendFigures, org: Organization, locale: Locale) -> list[Chart]:
    """Return the trend chart, the Pareto of categories and, once any complaint was
    analysed, the Pareto of cause categories (a Pareto of nothing is left out)."""
    _ = translator(locale)
    charts = [
        Chart("trend", _("review.chart.trend"), trend_chart(figures.series, locale), "overview")
    ]
    for dimension in ("category", "cause_category"):
        counts = [c for c in figures.pareto.get(dimension, []) if c.count]
        # An unanalysed complaint has the cause key "": analysed ones have any other.
        if not counts or (dimension == "cause_category" and not any(c.key for c in counts)):
            continue
        labels = [key_label(dimension, c.key, org, locale) for c in counts]
        charts.append(
            Chart(
                f"pareto-{dimension.replace('_', '-')}",
                _(f"review.chart.pareto.{dimension}"),
                pareto_chart([c.count for c in counts], labels, locale),
                "classification",
            )
        )
    return charts


def trend_chart(series: Sequence[PeriodCounts], locale: Locale) -> bytes:
    """Return new and closed complaints per period as grouped bars, open ones as a line."""
    _ = translator(locale)
    figure = Figure(figsize=(WIDTH_IN, TREND_HEIGHT_IN), dpi=DPI)
    axes = figure.add_subplot()
    places = list(range(len(series)))
    width = 0.38
    new = [p.new for p in series]
    closed = [p.closed for p in series]
    handles = [
        axes.bar(
            [x - width / 2 for x in places], new, width, color=NEW, label=_("review.chart.new")
        ),
        axes.bar(
            [x + width / 2 for x in places],
            closed,
            width,
            color=CLOSED,
            label=_("review.chart.closed"),
        ),
    ]
    (line,) = axes.plot(
        places,
        [p.open_at_end for p in series],
        color=OPEN,
        marker="o",
        linewidth=2,
        label=_("review.chart.open_at_end"),
    )
    axes.set_xticks(places, [p.label for p in series])
    axes.set_ylabel(_("review.column.count"), fontproperties=_font(9), color=MUTED)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    _style(axes)
    axes.spines["right"].set_visible(False)
    axes.legend(handles=[*handles, line], prop=_font(8), frameon=False, loc="upper left", ncols=3)
    # Room above the highest bar for the legend.
    axes.set_ylim(top=max(axes.get_ylim()[1] * 1.25, 1))
    return _png(figure)


def pareto_chart(counts: Sequence[int], labels: Sequence[str], locale: Locale) -> bytes:
    """Return a Pareto: the top keys' counts as bars, the cumulative share as a line.

    ``counts`` come most frequent first, ``labels`` are their names in words. Only the
    top eight are drawn, but shares are of all counts, so the line ends short of 100 %
    when keys were left out.
    """
    _ = translator(locale)
    total = sum(counts) or 1
    shown = list(counts[:TOP])
    running = [sum(shown[: i + 1]) / total * 100 for i in range(len(shown))]
    figure = Figure(figsize=(WIDTH_IN, PARETO_HEIGHT_IN), dpi=DPI)
    axes = figure.add_subplot()
    places = list(range(len(shown)))
    axes.bar(places, shown, 0.6, color=NEW)
    names = [textwrap.fill(label, 14, max_lines=2, placeholder="…") for label in labels[:TOP]]
    axes.set_xticks(places, names)
    axes.set_ylabel(_("review.column.count"), fontproperties=_font(9), color=MUTED)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    shares = axes.twinx()
    shares.plot(places, running, color=OPEN, marker="o", linewidth=2)
    shares.set_ylim(0, 105)
    shares.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    shares.set_ylabel(_("review.column.cumulative"), fontproperties=_font(9), color=MUTED)
    for each in (axes, shares):
        _style(each)
    axes.tick_params(axis="x", labelsize=7)
    return _png(figure)


@cache
def _font_path() -> str:
    """Return the CJK font's file, registered with matplotlib once per process."""
    # Matplotlib opens the file whenever it draws: it must stay in place until exit.
    path = str(_font_files.enter_context(as_file(FONT_FILE)))
    font_manager.fontManager.addfont(path)
    return path


def _font(size: float) -> FontProperties:
    """Return the CJK font at a size (in points)."""
    return FontProperties(fname=_font_path(), size=size)


def _style(axes: Axes) -> None:
    """Give axes the report's quiet look, every tick label in the CJK font."""
    family = _font(8).get_name()
    axes.tick_params(labelsize=8, colors=MUTED, labelfontfamily=family)
    axes.spines[["top"]].set_visible(False)
    for spine in axes.spines.values():
        spine.set_color(RULE)
    axes.set_axisbelow(True)


def _png(figure: Figure) -> bytes:
    """Return a figure as PNG, the same bytes for the same figure."""
    figure.set_layout_engine("constrained")
    # The canvas attaches itself to the figure: pyplot and its global state stay out.
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    # Without a software version (and PNG holds no time), identical input, identical bytes.
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()

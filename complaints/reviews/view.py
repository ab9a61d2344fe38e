"""What a trend analysis shows, put into words once per language.

The email, the PDF and the CSV read the same words from here, so a figure is named and
formatted the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from complaints.enums import Channel, Grade, Locale
from complaints.i18n import catalog, translator
from complaints.organization import Organization
from complaints.report.view import Block, Fact, Facts, Section, Table
from complaints.reviews.figures import PARETO_DIMENSIONS, Count, Share, TrendFigures

# Section keys, in the order the analysis shows them (each titled "review.section.<key>").
SECTIONS = ("overview", "classification", "problems", "timeliness", "outcomes", "satisfaction")
# Shown where a value cannot be computed (a median of nothing, a rate of none asked).
NOT_AVAILABLE = "–"
_ENUM_VALUES = {c.value for c in Channel} | {g.value for g in Grade}


@dataclass(frozen=True)
class ReviewContent:
    lang: str
    title: str
    organization: str
    period_label: str
    period: str
    # The period's first and last day in the organization's zone ("2026-07-01 – 2026-09-30").
    span: str
    scope_label: str
    # Which complaints it covers, in words ("All complaints", "Department: Quality").
    scope: str
    # A sentence when nothing happened in the period, else "".
    notice: str
    none: str
    # Between a label and its value (": ", or the full-width "：" in Chinese).
    separator: str
    sections: tuple[Section, ...]


def review_content(figures: TrendFigures, org: Organization, locale: Locale) -> ReviewContent:
    """Return the analysis in one language: title, period, scope and every section."""
    _ = translator(locale)
    zone = ZoneInfo(org.timezone)
    first = figures.period.start.astimezone(zone).date()
    # The end is exclusive: the last day shown is the one before it.
    last = (figures.period.end.astimezone(zone) - timedelta(microseconds=1)).date()
    blocks = _Words(figures, org, locale)
    return ReviewContent(
        lang=locale.value,
        title=_("review.title"),
        organization=org.name,
        period_label=_("review.period"),
        period=figures.period.label,
        span=f"{first.isoformat()} – {last.isoformat()}",
        scope_label=_("review.scope"),
        scope=_scope(figures, org, locale),
        notice=_("review.nothing_happened") if figures.nothing_happened else "",
        none=_("review.none"),
        separator=_("review.separator"),
        sections=tuple(
            Section(key, _(f"review.section.{key}"), blocks.of(key)) for key in SECTIONS
        ),
    )


def key_label(dimension: str, key: str, org: Organization, locale: Locale) -> str:
    """Return what a key of a dimension (or of ``resolution``) is called in a language.

    An empty key has no value yet; a key the organization file no longer names shows
    itself, so a renamed category is still told apart.
    """
    _ = translator(locale)
    if not key:
        return _("review.not_analysed" if dimension == "cause_category" else "review.unclassified")
    classification = org.classification
    if dimension in ("category", "subcategory", "category_now"):
        named = classification.name_of(key, locale)
        if named is not None:
            return named
    if dimension == "product_family" and key in classification.product_families:
        return classification.product_families[key].name(locale)
    if dimension == "department" and key in org.departments:
        return org.departments[key].name
    if dimension in ("channel", "grade") and key in _ENUM_VALUES:
        return _capitalized(_(key))
    if dimension in ("cause_category", "resolution"):
        prefix = "ishikawa" if dimension == "cause_category" else "resolution"
        shown = catalog(locale).get(f"{prefix}.{key}")
        return _capitalized(shown) if shown else key
    return key


def _capitalized(text: str) -> str:
    # The catalogs' enum values are written to run in a sentence ("web form"); a row
    # of a table starts with a capital.
    return text[:1].upper() + text[1:]


def percent(part: int, whole: int, locale: Locale) -> str:
    """Return ``part / whole`` as a whole percentage ("42 %", "42%"), or "–" for none."""
    if not whole:
        return NOT_AVAILABLE
    # Integer arithmetic rounds halves up exactly, as a reader counting by hand would.
    rounded = (200 * part + whole) // (2 * whole)
    return f"{rounded}%" if locale is Locale.ZH_CN else f"{rounded} %"


def share_text(share: Share, locale: Locale) -> str:
    """Return a share met as "met / total (rate)"."""
    return f"{share.met} / {share.total} ({percent(share.met, share.total, locale)})"


def decimal(value: float | None) -> str:
    """Return a value with one decimal, or "–" when there is none."""
    if value is None:
        return NOT_AVAILABLE
    # From the shortest text of the float, so 4.25 rounds up as a reader expects (not to 4.2).
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _scope(figures: TrendFigures, org: Organization, locale: Locale) -> str:
    _ = translator(locale)
    separator = _("review.separator")
    parts = []
    if figures.filters.department is not None:
        name = key_label("department", figures.filters.department, org, locale)
        parts.append(f"{_('review.scope.department')}{separator}{name}")
    if figures.filters.product_family is not None:
        name = key_label("product_family", figures.filters.product_family, org, locale)
        parts.append(f"{_('review.scope.product_family')}{separator}{name}")
    return _("review.scope.joiner").join(parts) if parts else _("review.scope.all")


class _Words:
    """The blocks of each section, for one figures value and one reader."""

    def __init__(self, figures: TrendFigures, org: Organization, locale: Locale) -> None:
        self.figures, self.org, self.locale = figures, org, locale
        self._ = translator(locale)

    def of(self, key: str) -> tuple[Block, ...]:
        """Return the blocks of a section that hold something."""
        built = {
            "overview": self._overview,
            "classification": self._classification,
            "problems": self._problems,
            "timeliness": self._timeliness,
            "outcomes": self._outcomes,
            "satisfaction": self._satisfaction,
        }
        blocks = built[key]()
        return tuple(b for b in blocks if (b.items if isinstance(b, Facts) else b.rows))

    def _facts(self, title: str, pairs: Sequence[tuple[str, object]]) -> Facts:
        items = tuple(Fact(self._(f"review.{key}"), str(value)) for key, value in pairs)
        return Facts(self._(f"review.{title}") if title else "", items)

    def _table(self, title: str, columns: Sequence[str], rows: Sequence[tuple[str, ...]]) -> Table:
        headings = tuple(self._(f"review.column.{c}") for c in columns)
        return Table(title, headings, tuple(rows))

    def _counts(self, dimension: str, counts: list[Count], *, cumulative: bool) -> Table:
        """Return counts per key with their shares (and running shares: a Pareto)."""
        total = sum(c.count for c in counts)
        rows, running = [], 0
        for item in counts:
            running += item.count
            row = (
                key_label(dimension, item.key, self.org, self.locale),
                str(item.count),
                percent(item.count, total, self.locale),
            )
            rows.append((*row, percent(running, total, self.locale)) if cumulative else row)
        columns = (dimension, "count", "share", *(("cumulative",) if cumulative else ()))
        return self._table(self._(f"review.dimension.{dimension}"), columns, rows)

    def _overview(self) -> list[Block]:
        counts = self.figures.counts
        facts = self._facts(
            "",
            [("new", counts.new), ("closed", counts.closed), ("open_at_end", counts.open_at_end)],
        )
        rows = [
            (p.label, str(p.new), str(p.closed), str(p.open_at_end)) for p in self.figures.series
        ]
        trend = self._table(
            self._("review.trend"), ("period", "new", "closed", "open_at_end"), rows
        )
        return [facts, trend]

    def _classification(self) -> list[Block]:
        pareto = self.figures.pareto
        # The Pareto of sub-categories only where the organization divides categories.
        shown = [
            d
            for d in PARETO_DIMENSIONS
            if d != "subcategory" or self.org.classification.has_subcategories()
        ]
        return [
            *(self._counts(d, pareto.get(d, []), cumulative=True) for d in shown),
            self._rates(),
        ]

    def _rates(self) -> Table:
        """Complaints per million units shipped, per product family (when supplied)."""
        rows = [
            (
                key_label("product_family", rate.product_family, self.org, self.locale),
                str(rate.complaints),
                f"{rate.units:,}",
                decimal(rate.per_million),
            )
            for rate in self.figures.rates
        ]
        columns = ("product_family", "count", "units", "per_million")
        return self._table(self._("review.dimension.rates"), columns, rows)

    def _problems(self) -> list[Block]:
        p = self.figures.problems
        return [
            self._facts(
                "",
                [
                    ("problems.systemic", p.systemic),
                    ("problems.recurring", p.recurring),
                    ("problems.one_off", p.one_off),
                    ("problems.not_analysed", p.not_analysed),
                    ("problems.reopened", p.reopened),
                ],
            )
        ]

    def _timeliness(self) -> list[Block]:
        t = self.figures.timeliness
        shares = {
            "acknowledgement": t.acknowledgement,
            "assessment": t.assessment,
            "containment": t.containment,
        }
        rows = [
            (
                self._(f"review.timeliness.{name}"),
                share_text(share, self.locale),
                decimal(share.median_hours),
                decimal(share.p90_hours),
            )
            for name, share in shares.items()
        ]
        limits = self._table(
            self._("review.timeliness.limits"), ("limit", "met", "median", "p90"), rows
        )
        facts = self._facts(
            "",
            [
                ("timeliness.overdue_steps", t.overdue_steps_at_end),
                ("timeliness.overdue_actions", t.overdue_actions_at_end),
                ("timeliness.escalations", t.escalations),
            ],
        )
        return [limits, facts]

    def _outcomes(self) -> list[Block]:
        o = self.figures.outcomes
        resolutions = self._counts("resolution", o.resolutions, cumulative=False)
        accepted = Share(o.first_answer_accepted, o.answers_decided)
        facts = self._facts(
            "",
            [
                ("outcomes.first_answer_accepted", share_text(accepted, self.locale)),
                ("outcomes.effective", o.effective),
                ("outcomes.not_effective", o.not_effective),
                ("outcomes.actions_open", o.actions_open_at_end),
                ("outcomes.actions_late", o.actions_late_at_end),
            ],
        )
        return [resolutions, facts]

    def _satisfaction(self) -> list[Block]:
        s = self.figures.satisfaction
        return [
            self._facts(
                "",
                [
                    ("satisfaction.asked", s.asked),
                    ("satisfaction.answered", s.answered),
                    ("satisfaction.response_rate", percent(s.answered, s.asked, self.locale)),
                    ("satisfaction.mean_score", decimal(s.mean_score)),
                    ("satisfaction.dissatisfied", s.dissatisfied),
                ],
            )
        ]

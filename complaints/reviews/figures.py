"""What a trend analysis finds (ISO 10002 8.2-8.4): plain values, computed in SQL.

Every figure is a count, a share or a list of counts per key, so the email, the PDF,
the CSV and the Prefect artifact all show the same numbers. A key of ``""`` means the
complaint has none yet ("unclassified", "not analysed").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The dimensions a Pareto is counted over, in the order reports show them.
PARETO_DIMENSIONS = (
    "category",
    "subcategory",
    "category_now",
    "product_family",
    "product",
    "cause_category",
    "department",
    "channel",
    "grade",
)


@dataclass(frozen=True)
class Period:
    """A span of time in the organization's zone: ``start`` inclusive, ``end`` exclusive."""

    label: str
    start: datetime
    end: datetime
    # "month", "quarter" or "year" for a calendar period; "days" for any other span.
    kind: str = "days"


@dataclass(frozen=True)
class Filters:
    """Which complaints a review covers (None: all)."""

    department: str | None = None
    product_family: str | None = None


@dataclass(frozen=True)
class PeriodCounts:
    label: str
    new: int
    closed: int
    open_at_end: int


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class Share:
    """How many of ``total`` met a time limit, and the hours they took."""

    met: int
    total: int
    median_hours: float | None = None
    p90_hours: float | None = None

    @property
    def rate(self) -> float | None:
        """The share met, 0-1 (None when there was nothing to measure)."""
        return self.met / self.total if self.total else None


@dataclass(frozen=True)
class Problems:
    """Systemic, recurring and one-off problems among the period's complaints (8.2)."""

    systemic: int
    recurring: int
    one_off: int
    not_analysed: int
    reopened: int


@dataclass(frozen=True)
class Timeliness:
    """The organization's own time limits (8.4), over the period's complaints."""

    acknowledgement: Share
    assessment: Share
    containment: Share
    overdue_steps_at_end: int
    overdue_actions_at_end: int
    escalations: int


@dataclass(frozen=True)
class Outcomes:
    resolutions: list[Count]
    first_answer_accepted: int
    answers_decided: int
    effective: int
    not_effective: int
    actions_open_at_end: int
    actions_late_at_end: int


@dataclass(frozen=True)
class Satisfaction:
    """The satisfaction surveys (8.3): asked in the period, answered, scores."""

    asked: int
    answered: int
    mean_score: float | None
    dissatisfied: int

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


@dataclass(frozen=True)
class Rate:
    """A product family's complaints received in the period per units shipped in it."""

    product_family: str
    complaints: int
    units: int
    per_million: float


@dataclass(frozen=True)
class TrendFigures:
    """One trend analysis: the period, its counts and the trend before it."""

    period: Period
    filters: Filters
    counts: PeriodCounts
    # The previous periods of the same length, oldest first, then this one.
    series: list[PeriodCounts]
    # Per dimension of PARETO_DIMENSIONS, most frequent first.
    pareto: dict[str, list[Count]]
    problems: Problems
    timeliness: Timeliness
    outcomes: Outcomes
    satisfaction: Satisfaction
    # Per product family with units shipped in the period (none without volumes).
    rates: list[Rate] = field(default_factory=list)

    @property
    def nothing_happened(self) -> bool:
        """Whether no complaint was received, closed or open in the period."""
        return not (self.counts.new or self.counts.closed or self.counts.open_at_end)

"""The trend analysis against the data set of tests/support/review_data.py, whose
figures are worked out there by hand, on SQLite and PostgreSQL (ISO 10002 8.2-8.4)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.reviews.analysis import analyse
from complaints.reviews.export import review_csv, review_rows
from complaints.reviews.figures import Count, Filters, PeriodCounts, Problems
from complaints.reviews.periods import PeriodKind, between, calendar_period
from tests.conftest import migrated_database
from tests.support.review_data import COMPLAINANT_EMAIL, MARCH, ORG, ZONE, load


@pytest.fixture(scope="module")
def reviewed(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    with migrated_database(backend, tmp_path_factory.mktemp("review")) as url:
        sessions = sessionmaker(make_engine(url), expire_on_commit=False)
        with sessions.begin() as session:
            load(session)
        yield sessions


def test_counts_and_trend_over_the_previous_periods(reviewed: sessionmaker[Session]) -> None:
    with reviewed() as session:
        figures = analyse(session, ORG, MARCH)
    assert figures.counts == PeriodCounts("2025-03", new=7, closed=3, open_at_end=6)
    assert figures.series == [
        PeriodCounts("2024-10", 0, 0, 0),
        PeriodCounts("2024-11", 0, 0, 0),
        PeriodCounts("2024-12", 0, 0, 0),
        PeriodCounts("2025-01", 1, 0, 1),
        PeriodCounts("2025-02", 1, 0, 2),
        figures.counts,
    ]
    assert not figures.nothing_happened


def test_pareto_counts_by_the_category_at_the_period_end_and_now(
    reviewed: sessionmaker[Session],
) -> None:
    with reviewed() as session:
        pareto = analyse(session, ORG, MARCH).pareto

    def counts(*pairs: tuple[str, int]) -> list[Count]:
        return [Count(key, n) for key, n in pairs]

    assert pareto["category"] == counts(
        ("", 2), ("product-defect", 2), ("delivery", 1), ("safety", 1), ("service", 1)
    )
    # B's sub-category (an electrical product defect) counts for its category above.
    assert pareto["subcategory"] == counts(
        ("", 2),
        ("delivery", 1),
        ("product-defect", 1),
        ("product-defect/electrical", 1),
        ("safety", 1),
        ("service", 1),
    )
    assert pareto["category_now"] == counts(
        ("", 2), ("safety", 2), ("delivery", 1), ("product-defect", 1), ("service", 1)
    )
    assert pareto["product_family"] == counts(("kitchen", 4), ("climate", 3))
    assert pareto["department"] == counts(("kitchen", 4), ("production", 3))
    assert pareto["cause_category"] == counts(("", 3), ("material", 2), ("man", 1), ("method", 1))
    assert pareto["channel"] == counts(("web", 5), ("email", 1), ("phone", 1))
    assert pareto["grade"] == counts(
        ("complaint", 3), ("grumble", 2), ("", 1), ("major_complaint", 1)
    )
    assert pareto["product"][0] == Count("Kettle", 2)
    assert sum(c.count for c in pareto["product"]) == 7


def test_systemic_recurring_and_one_off_problems(reviewed: sessionmaker[Session]) -> None:
    with reviewed() as session:
        found = analyse(session, ORG, MARCH).problems
    assert found == Problems(systemic=1, recurring=2, one_off=1, not_analysed=3, reopened=1)


def test_timeliness_against_the_organization_criteria(reviewed: sessionmaker[Session]) -> None:
    with reviewed() as session:
        timely = analyse(session, ORG, MARCH).timeliness
    ack = timely.acknowledgement
    assert (ack.met, ack.total) == (4, 6)
    assert ack.median_hours == pytest.approx(1 / 3)
    assert ack.p90_hours == pytest.approx(2.0)
    assessment = timely.assessment
    assert (assessment.met, assessment.total) == (4, 6)
    assert assessment.median_hours == pytest.approx(3)
    assert assessment.p90_hours == pytest.approx(19.6)
    containment = timely.containment
    assert (containment.met, containment.total) == (2, 4)
    assert containment.rate == pytest.approx(0.5)
    assert containment.median_hours == pytest.approx(45)
    assert containment.p90_hours == pytest.approx(85.2)
    assert timely.overdue_steps_at_end == 2
    assert timely.overdue_actions_at_end == 1
    assert timely.escalations == 1


def test_outcomes_and_satisfaction(reviewed: sessionmaker[Session]) -> None:
    with reviewed() as session:
        figures = analyse(session, ORG, MARCH)
    outcomes = figures.outcomes
    assert outcomes.resolutions == [
        Count("not_ours", 1),
        Count("referred", 1),
        Count("resolved", 1),
    ]
    assert (outcomes.first_answer_accepted, outcomes.answers_decided) == (1, 2)
    assert (outcomes.effective, outcomes.not_effective) == (1, 1)
    assert (outcomes.actions_open_at_end, outcomes.actions_late_at_end) == (2, 1)
    surveys = figures.satisfaction
    assert (surveys.asked, surveys.answered, surveys.dissatisfied) == (2, 2, 1)
    assert surveys.mean_score == pytest.approx(3.5)
    assert surveys.response_rate == pytest.approx(1.0)


def test_filters_select_a_department_or_a_product_family(reviewed: sessionmaker[Session]) -> None:
    with reviewed() as session:
        climate = analyse(session, ORG, MARCH, Filters(product_family="climate"))
        kitchen = analyse(session, ORG, MARCH, Filters(department="kitchen"))
    assert climate.counts == PeriodCounts("2025-03", new=3, closed=1, open_at_end=2)
    assert climate.problems.one_off == 1 and climate.problems.recurring == 0
    assert kitchen.counts.new == 4
    assert kitchen.pareto["product_family"] == [Count("kitchen", 4)]


def test_a_period_with_nothing_in_it_says_so(reviewed: sessionmaker[Session]) -> None:
    with reviewed() as session:
        quiet = analyse(session, ORG, between(date(2019, 6, 1), date(2019, 6, 30), ZONE))
    assert quiet.nothing_happened
    assert quiet.pareto["category"] == []
    assert quiet.timeliness.containment.rate is None
    assert quiet.satisfaction.mean_score is None


def test_periods_are_local_months_whatever_the_daylight_saving_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    march = calendar_period(PeriodKind.MONTH, date(2026, 3, 1), berlin)
    # Berlin moves to summer time on 29 March: the month is 31 days less one hour.
    assert march.end - march.start == timedelta(days=31, hours=-1)
    assert march.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    quarter = calendar_period(PeriodKind.QUARTER, date(2026, 11, 20), berlin)
    assert (quarter.label, quarter.start) == ("2026-Q4", datetime(2026, 9, 30, 22, tzinfo=UTC))


def test_the_csv_rows_are_the_complaints_behind_the_figures(
    reviewed: sessionmaker[Session],
) -> None:
    with reviewed() as session:
        figures = analyse(session, ORG, MARCH)
        rows = review_rows(session, MARCH, Filters(), ZONE)
    table = list(csv.DictReader(io.StringIO(review_csv(rows).decode("utf-8-sig"))))
    # The 7 received in March, F (closed in March) and H (open at its end).
    assert len(table) == 9
    assert sum(int(r["new_in_period"]) for r in table) == figures.counts.new
    assert sum(int(r["closed_in_period"]) for r in table) == figures.counts.closed
    assert sum(int(r["open_at_end"]) for r in table) == figures.counts.open_at_end
    new = [r for r in table if r["new_in_period"] == "1"]
    assert sorted(r["category_at_end"] for r in new) == sorted(
        c.key for c in figures.pareto["subcategory"] for _ in range(c.count)
    )
    f = table[1]
    assert (f["product_family"], f["cause_category"], f["scope"], f["resolution"]) == (
        "kitchen",
        "method",
        "systemic",
        "referred",
    )
    assert (f["received_at"], f["closed_in_period"]) == ("2025-02-10T09:00+08:00", "1")
    assert COMPLAINANT_EMAIL not in review_csv(rows).decode("utf-8-sig")

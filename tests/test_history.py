"""The demo history generator (``make demo``, bench/review.py) writes records the
analysis reads, all of them clearly fake."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.db import make_engine
from complaints.migrate import upgrade
from complaints.models import Complaint
from complaints.organization import load_organization
from complaints.reviews.analysis import analyse
from complaints.reviews.periods import PeriodKind, calendar_period
from complaints.settings import PROJECT_DIR
from scripts.history import generate

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")


def test_a_year_of_history_fills_every_part_of_a_review(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    upgrade(url)
    engine = make_engine(url)
    generate(engine, ORG, count=600, days=365, now=datetime(2026, 7, 1, tzinfo=UTC))
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 600
        fake = session.scalar(
            select(func.count())
            .select_from(Complaint)
            .where(
                Complaint.reference.like("DEMO-%"),
                Complaint.complainant_email.like("%@example.invalid"),
            )
        )
        assert fake == 600
        figures = analyse(
            session, ORG, calendar_period(PeriodKind.QUARTER, date(2026, 1, 1), ORG.zone_of())
        )
    assert figures.counts.new > 100 and figures.counts.closed > 50
    assert {c.key for c in figures.pareto["category"]} <= set(ORG.classification.categories)
    assert figures.problems.systemic + figures.problems.recurring > 0
    assert figures.timeliness.containment.total > 0 and figures.satisfaction.answered > 0
    # Product defects come in sub-categories; every family has its units shipped.
    assert any("/" in c.key for c in figures.pareto["subcategory"])
    assert {r.product_family for r in figures.rates} == set(ORG.classification.product_families)
    assert all(r.units > 0 and r.per_million > 0 for r in figures.rates)

"""The demo history generator (``make demo``, bench/review.py) writes records the
analysis reads, all of them clearly fake."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.enums import StepStatus
from complaints.migrate import upgrade
from complaints.models import Complaint, Step
from complaints.ops.deadline_watch import watch
from complaints.organization import load_organization
from complaints.reviews.analysis import analyse
from complaints.reviews.periods import PeriodKind, calendar_period
from complaints.settings import PROJECT_DIR, Settings
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


def test_the_live_deadline_watch_has_nothing_to_say_about_the_history(tmp_path: Path) -> None:
    # Generated complaints are all closed and nothing generated waits: the watch neither
    # reminds nor escalates a demo step, nor tells a demo complainant the news.
    url = f"sqlite:///{tmp_path / 'history.db'}"
    upgrade(url)
    engine = make_engine(url)
    now = datetime(2026, 7, 1, tzinfo=UTC)
    generate(engine, ORG, count=300, days=365, now=now)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with Session(engine) as session:
        waiting = session.scalar(
            select(func.count()).select_from(Step).where(Step.status == StepStatus.OPEN)
        )
        still_open = session.scalar(
            select(func.count()).select_from(Complaint).where(Complaint.closed_at.is_(None))
        )
    assert (waiting, still_open) == (0, 0)
    for later in (timedelta(minutes=1), timedelta(days=40)):
        report = watch(sessions, ORG, Settings(upload_dir=tmp_path / "uploads"), now + later)
        assert (report.message_ids, report.noticed, report.status_updates) == ([], [], 0)

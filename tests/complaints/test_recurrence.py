"""The effectiveness check's count: complaints on the same product since the actions closed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from complaints.actions.recurrence import recurrence_since
from complaints.enums import DecisionChannel, StepKind
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from complaints.steps import decisions, opening
from complaints.steps.contracts import CauseAnalysis
from tests.support.people import complaint_payload

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
CLOSED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _file(session: Session, product: str, received: datetime, category: str | None) -> uuid.UUID:
    """File a complaint on a product; with a category, its root cause is analysed too."""
    complaint = service.file_complaint(
        session, ComplaintIn(**complaint_payload(product=product)), ORG, now=received
    )
    if category is not None:
        step = opening.open_step(
            session,
            complaint,
            kind=StepKind.CAUSE_ANALYSIS,
            key="cause-analysis-1",
            assignee="wang-jun",
            due_at=received + timedelta(days=5),
            secret="recurrence-test",
            link_grace=timedelta(hours=1),
            now=received,
        ).step
        analysis = CauseAnalysis(
            whys=["leaks"],
            root_cause="soft seal",
            category=category,
            scope="single",
            meeting_at=received + timedelta(days=1),
        )
        decisions.record_decision(
            session, step, analysis, decided_by="wang-jun", channel=DecisionChannel.EMAIL_LINK
        )
    return complaint.id


def test_the_same_product_counts_by_cause_and_nothing_before_or_elsewhere_counts(
    sessions: sessionmaker[Session],
) -> None:
    product = f"Kettle {uuid.uuid4().hex[:6]}"  # the database is shared with other tests
    later = CLOSED + timedelta(days=3)
    with sessions.begin() as session:
        checked = _file(session, product, CLOSED - timedelta(days=40), "material")
        _file(session, product, later, "material")  # the same cause again
        _file(session, product.upper(), later, None)  # not analysed yet
        _file(session, product, later, None)
        _file(session, product, later, "method")  # another cause
        _file(session, "Rice cooker R1", later, "material")  # another product
        _file(session, product, CLOSED - timedelta(days=1), "material")  # before the actions
    with sessions() as session:
        found = recurrence_since(session, service.require_complaint(session, checked), CLOSED)
    assert (found.category, found.same_cause, found.not_analysed, found.other_cause) == (
        "material",
        1,
        2,
        1,
    )
    assert found.count == 3 and found.since == CLOSED

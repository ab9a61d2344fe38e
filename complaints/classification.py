"""A complaint's category over time (ISO 10002 8.2): set by the assessment, corrected later.

Each classification is a row valid from its time on, so a review counts a complaint by
the category it had at the review period's end, and can show it as classified now.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind
from complaints.models import Classification, Complaint, utcnow
from complaints.organization import Organization


def classify(
    session: Session,
    complaint_id: uuid.UUID,
    category: str,
    *,
    by: str,
    at: datetime | None = None,
    reason: str = "",
) -> Classification:
    """Record a complaint's category from ``at`` on (a correction says why)."""
    row = Classification(
        complaint_id=complaint_id, category=category, at=at or utcnow(), by=by, reason=reason
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        complaint_id,
        EventKind.COMPLAINT_CLASSIFIED,
        actor=by,
        data={"category": category, "reason": reason},
        at=row.at,
    )
    return row


class CorrectionRefused(ValueError):
    """A correction that names no complaint, no category of the organization file, or no
    reason; ``field`` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def correct_category(
    session: Session,
    org: Organization,
    reference: str,
    category: str,
    *,
    by: str,
    reason: str,
    at: datetime | None = None,
) -> Classification:
    """Correct a complaint's category from now on (earlier reviews keep counting the
    category it had then); refuse an unknown reference or category, or no reason."""
    complaint_id = session.scalar(
        select(Complaint.id).where(Complaint.reference == reference.strip().upper())
    )
    if complaint_id is None:
        raise CorrectionRefused("reference")
    if category not in org.classification.all_keys():
        raise CorrectionRefused("category")
    if not reason.strip():
        raise CorrectionRefused("reason")
    return classify(session, complaint_id, category, by=by, at=at, reason=reason.strip())


def current_category(session: Session, complaint_id: uuid.UUID) -> str | None:
    """Return a complaint's category now (None: unclassified)."""
    return session.scalar(
        select(Classification.category)
        .where(Classification.complaint_id == complaint_id)
        .order_by(Classification.at.desc(), Classification.id.desc())
        .limit(1)
    )

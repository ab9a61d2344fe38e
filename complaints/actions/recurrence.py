"""Did the problem come back? Complaints on the same product since the actions closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.enums import StepKind
from complaints.models import Complaint
from complaints.steps.contracts import CauseAnalysis
from complaints.steps.history import latest_decision


@dataclass(frozen=True)
class Recurrence:
    """Complaints on the same product received since the actions closed, by their cause."""

    since: datetime
    category: str | None  # the Ishikawa category of this complaint's root cause
    same_cause: int  # their root cause lies in the same category
    not_analysed: int  # their cause is not known yet: a recurrence until shown otherwise
    other_cause: int

    @property
    def count(self) -> int:
        """Complaints that count as the problem coming back."""
        return self.same_cause + self.not_analysed


def recurrence_since(session: Session, complaint: Complaint, since: datetime) -> Recurrence:
    """Count the complaints on the same product (and cause category) received since."""
    category = cause_category(complaint)
    later = session.scalars(
        select(Complaint).where(
            Complaint.id != complaint.id,
            Complaint.received_at >= since,
            func.lower(Complaint.product) == complaint.product.lower(),
        )
    )
    same = unknown = other = 0
    for candidate in later:
        found = cause_category(candidate)
        if found is None:
            unknown += 1
        elif found == category:
            same += 1
        else:
            other += 1
    return Recurrence(since, category, same, unknown, other)


def cause_category(complaint: Complaint) -> str | None:
    """Return the Ishikawa category of a complaint's root cause (None: not analysed yet)."""
    analysis = latest_decision(complaint, StepKind.CAUSE_ANALYSIS, CauseAnalysis)
    return analysis.category.value if analysis else None

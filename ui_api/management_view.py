"""The management reviews as the reviews area shows them: each meeting, whether its
minutes are in, and its actions with their outcome (a form to change each open one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import StepStatus
from complaints.management.pack import MANAGEMENT, outcome_at
from complaints.models import ManagementReview, Review, TaskKind, utcnow
from complaints.organization import Organization

LATEST = 20


def management_reviews(db: Session, org: Organization) -> list[dict[str, Any]]:
    """Return the latest management reviews, newest first, with their tasks."""
    now = utcnow()
    rows = db.execute(
        select(Review, ManagementReview)
        .join(ManagementReview, ManagementReview.review_id == Review.id)
        .where(Review.kind == MANAGEMENT)
        .order_by(Review.created_at.desc())
        .limit(LATEST)
    ).all()

    views = []
    for review, management in rows:
        minutes = next(t for t in management.tasks if t.kind is TaskKind.MINUTES)
        actions = [t for t in management.tasks if t.kind is TaskKind.ACTION]
        views.append(
            {
                "review": review,
                "meeting_at": management.meeting_at,
                "chair": org.name_of(management.chair),
                "minutes_in": minutes.status is StepStatus.DECIDED,
                "minutes_due": minutes.due_at,
                "files": [f for f in review.files if f.content_type == "application/pdf"],
                "actions": [
                    {
                        "id": str(task.id),
                        "number": task.number,
                        "area": task.details.get("area", ""),
                        "description": task.details.get("description", ""),
                        "owner": org.name_of(task.assignee),
                        "due_at": task.due_at,
                        "outcome": outcome_at(task, now),
                        "open": task.status is StepStatus.OPEN,
                    }
                    for task in actions
                ],
            }
        )
    return views

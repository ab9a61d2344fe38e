"""The inputs of a management review (ISO 9001 9.3.2, ISO 10002 8.6), from our records:
the latest trend analysis (satisfaction, effectiveness, timeliness), the status of the
actions earlier reviews decided, and the systemic problems still open.

Plain values only, kept as the review's figures: the pack, its PDF and the next review
read the same numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import ProblemScope, Stage, StepKind, StepStatus
from complaints.models import Complaint, ManagementReview, Review, ReviewTask, TaskKind
from complaints.reviews.queries import latest_decision

MANAGEMENT = "management"
TREND = "trend"


class Outcome(StrEnum):
    """Where an action stands at a moment (the next review reports it so)."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN = "open"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class ActionStatus:
    review: str
    number: int
    area: str
    description: str
    owner: str
    due_at: datetime
    outcome: str
    done_at: datetime | None = None
    note: str = ""
    evidence: int = 0


@dataclass(frozen=True)
class AnalysisSummary:
    """The key figures of the latest trend analysis (its PDF holds the rest)."""

    reference: str
    period: str
    new: int
    closed: int
    open_at_end: int
    containment_met: int
    containment_total: int
    effective: int
    not_effective: int
    surveys_asked: int
    surveys_answered: int
    mean_score: float | None
    dissatisfied: int
    systemic: int
    recurring: int


@dataclass(frozen=True)
class SystemicProblem:
    reference: str
    product_family: str
    cause_category: str
    received_at: datetime


@dataclass(frozen=True)
class ReviewPack:
    """Everything a management review is given to decide on."""

    reference: str
    as_of: datetime
    since: datetime | None
    analysis: AnalysisSummary | None
    earlier_actions: list[ActionStatus] = field(default_factory=list)
    open_systemic: list[SystemicProblem] = field(default_factory=list)


def outcome_at(task: ReviewTask, moment: datetime) -> str:
    """Return where an action stands at a moment."""
    if task.status is StepStatus.DECIDED and task.decided_at is not None:
        return Outcome.DONE_ON_TIME if task.decided_at <= task.due_at else Outcome.DONE_LATE
    return Outcome.OVERDUE if task.due_at < moment else Outcome.OPEN


def action_status(task: ReviewTask, review_reference: str, moment: datetime) -> ActionStatus:
    """Return an action of a review as a pack reports it at a moment."""
    decision = task.decision or {}
    done = task.status is StepStatus.DECIDED
    return ActionStatus(
        review=review_reference,
        number=task.number,
        area=str(task.details.get("area", "")),
        description=str(task.details.get("description", "")),
        owner=task.assignee,
        due_at=task.due_at,
        outcome=outcome_at(task, moment),
        done_at=task.decided_at if done else None,
        note=str(decision.get("note", "")) if done else "",
        evidence=len(decision.get("evidence", [])) if done else 0,
    )


def previous_review(session: Session, before: datetime) -> Review | None:
    """Return the last management review issued before a moment."""
    return session.scalars(
        select(Review)
        .where(Review.kind == MANAGEMENT, Review.created_at < before)
        .order_by(Review.created_at.desc())
        .limit(1)
    ).first()


def earlier_actions(
    session: Session, as_of: datetime, since: datetime | None
) -> list[ActionStatus]:
    """Return the actions of earlier reviews that are open, or were done since the
    previous review (ISO 9001 9.3.2 a: the status of actions from previous reviews)."""
    rows = session.execute(
        select(ReviewTask, Review.period_label)
        .join(Review, Review.id == ReviewTask.review_id)
        .where(ReviewTask.kind == TaskKind.ACTION, Review.created_at < as_of)
        .order_by(Review.created_at, ReviewTask.number)
    ).all()
    return [
        action_status(task, reference, as_of)
        for task, reference in rows
        if task.status is StepStatus.OPEN
        or since is None
        or (task.decided_at is not None and task.decided_at >= since)
    ]


def latest_analysis(session: Session, as_of: datetime) -> AnalysisSummary | None:
    """Return the key figures of the latest trend analysis of all complaints."""
    reviews = session.scalars(
        select(Review)
        .where(Review.kind == TREND, Review.created_at <= as_of)
        .order_by(Review.created_at.desc())
        .limit(20)
    ).all()
    chosen = next((r for r in reviews if not any((r.filters or {}).values())), None)
    if chosen is None:
        return None
    figures = chosen.figures
    counts, timely = figures["counts"], figures["timeliness"]
    outcomes, surveys, problems = figures["outcomes"], figures["satisfaction"], figures["problems"]
    return AnalysisSummary(
        reference=f"TA-{chosen.period_label}",
        period=chosen.period_label,
        new=counts["new"],
        closed=counts["closed"],
        open_at_end=counts["open_at_end"],
        containment_met=timely["containment"]["met"],
        containment_total=timely["containment"]["total"],
        effective=outcomes["effective"],
        not_effective=outcomes["not_effective"],
        surveys_asked=surveys["asked"],
        surveys_answered=surveys["answered"],
        mean_score=surveys["mean_score"],
        dissatisfied=surveys["dissatisfied"],
        systemic=problems["systemic"],
        recurring=problems["recurring"],
    )


def open_systemic(session: Session, as_of: datetime) -> list[SystemicProblem]:
    """Return the open complaints whose root cause is systemic (ISO 10002 8.2)."""
    cause = latest_decision(StepKind.CAUSE_ANALYSIS, ("scope", "category"), before=as_of)
    rows = session.execute(
        select(
            Complaint.reference, Complaint.product_family, cause.c.category, Complaint.received_at
        )
        .join(cause, cause.c.complaint_id == Complaint.id)
        .where(cause.c.scope == ProblemScope.SYSTEMIC.value, Complaint.stage != Stage.CLOSED)
        .order_by(Complaint.received_at)
    ).all()
    return [
        SystemicProblem(reference, family or "", category or "", received_at)
        for reference, family, category, received_at in rows
    ]


def assemble(session: Session, reference: str, as_of: datetime) -> ReviewPack:
    """Return the inputs of a review held at ``as_of``."""
    previous = previous_review(session, as_of)
    since = previous.created_at if previous is not None else None
    return ReviewPack(
        reference=reference,
        as_of=as_of,
        since=since,
        analysis=latest_analysis(session, as_of),
        earlier_actions=earlier_actions(session, as_of, since),
        open_systemic=open_systemic(session, as_of),
    )


def management_of(session: Session, review_id: uuid.UUID) -> ManagementReview:
    found = session.get(ManagementReview, review_id)
    if found is None:
        raise LookupError(f"no management review {review_id}")
    return found

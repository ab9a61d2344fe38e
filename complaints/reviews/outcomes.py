"""How the period's complaints ended (resolutions, answers, effectiveness checks,
actions) and what the complainants said of the handling (ISO 10002 8.3)."""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    func,
    select,
)
from sqlalchemy.orm import Session

from complaints.enums import StepKind, StepStatus
from complaints.models import Complaint, Step
from complaints.reviews.figures import (
    Outcomes,
    Period,
    Satisfaction,
)
from complaints.reviews.queries import (
    grouped_counts,
    latest_decision,
    open_at,
)
from complaints.steps.contracts import DISSATISFIED_AT_MOST


def outcomes(session: Session, period: Period, scope: list[ColumnElement[bool]]) -> Outcomes:
    """Return how the complaints closed in the period ended, and the actions at its end."""
    start, end = period.start, period.end
    closed = [Complaint.closed_at >= start, Complaint.closed_at < end, *scope]
    first = latest_decision(
        StepKind.RESPONSE_DECISION,
        ("accepted",),
        before=end,
        first=True,
        boolean=True,
        among=select(Complaint.id).where(*closed),
    )
    answered, accepted = session.execute(
        select(func.count(), func.count().filter(first.c.accepted.is_(True)))
        .select_from(Complaint)
        .join(first, first.c.complaint_id == Complaint.id)
        .where(*closed)
    ).one()
    effective = Step.decision["effective"].as_boolean()
    checks = session.execute(
        select(effective, func.count())
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(
            Step.kind == StepKind.EFFECTIVENESS,
            Step.status == StepStatus.DECIDED,
            Step.decided_at >= start,
            Step.decided_at < end,
            *scope,
        )
        .group_by(effective)
    ).all()
    by_verdict = {bool(verdict): int(n) for verdict, n in checks}
    open_actions, late_actions = session.execute(
        select(func.count(), func.count().filter(Step.due_at < end))
        .select_from(Step)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(Step.kind == StepKind.ACTION, open_at(end), *scope)
    ).one()
    return Outcomes(
        resolutions=grouped_counts(session, Complaint.resolution, closed),
        first_answer_accepted=int(accepted),
        answers_decided=int(answered),
        effective=by_verdict.get(True, 0),
        not_effective=by_verdict.get(False, 0),
        actions_open_at_end=int(open_actions),
        actions_late_at_end=int(late_actions),
    )


def satisfaction(
    session: Session, period: Period, scope: list[ColumnElement[bool]]
) -> Satisfaction:
    """Return the surveys asked and answered in the period, and their scores (8.3)."""
    start, end = period.start, period.end
    survey = [Step.kind == StepKind.SURVEY, *scope]
    asked = session.scalar(
        select(func.count())
        .select_from(Step)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(*survey, Step.opened_at >= start, Step.opened_at < end)
    )
    score = Step.decision["score"].as_integer()
    answered, mean, dissatisfied = session.execute(
        select(func.count(), func.avg(score), func.count().filter(score <= DISSATISFIED_AT_MOST))
        .select_from(Step)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(
            *survey,
            Step.status == StepStatus.DECIDED,
            Step.decided_at >= start,
            Step.decided_at < end,
        )
    ).one()
    return Satisfaction(
        asked=int(asked or 0),
        answered=int(answered),
        mean_score=float(mean) if mean is not None else None,
        dissatisfied=int(dissatisfied),
    )

"""What a complaint's steps have come to: the latest decision of a kind, when the actions
were done, the figures it closes with, and its reopenings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from complaints import repository
from complaints.enums import EventKind, StepKind
from complaints.models import Complaint, Event, Step
from complaints.steps.contracts import StepInput, SurveyAnswer

C = TypeVar("C", bound=StepInput)


def decision_of(step: Step, contract: type[C]) -> C:
    """Return a decided step's decision, as its contract."""
    if step.decision is None:
        raise ValueError(f"step {step.key} has no decision")
    return contract.model_validate(step.decision)


def decided(complaint: Complaint, kind: StepKind) -> list[Step]:
    """Return the decided steps of a kind, in the order they opened."""
    return [s for s in complaint.steps if s.kind is kind and s.decision is not None]


def latest_decision(complaint: Complaint, kind: StepKind, contract: type[C]) -> C | None:
    """Return the latest decision of a step kind (e.g. the cause analysis), if any."""
    steps = decided(complaint, kind)
    return decision_of(steps[-1], contract) if steps else None


def actions_closed_at(complaint: Complaint) -> datetime | None:
    """Return when the last corrective action was done (None: some are still open)."""
    actions = [s for s in complaint.steps if s.kind is StepKind.ACTION]
    if not actions or any(s.decided_at is None for s in actions):
        return None
    return max(s.decided_at for s in actions if s.decided_at is not None)


def final_record(complaint: Complaint) -> dict[str, Any]:
    """Return the figures a complaint closes with (ISO 10002 7.9), references only."""
    survey = latest_decision(complaint, StepKind.SURVEY, SurveyAnswer)
    return {
        "actions": len([s for s in complaint.steps if s.kind is StepKind.ACTION]),
        "action_plans": len(decided(complaint, StepKind.ACTION_PLAN)),
        "responses": len(decided(complaint, StepKind.RESPONSE_DECISION)),
        "survey_score": survey.score if survey else None,
        "effectiveness_checks": len(decided(complaint, StepKind.EFFECTIVENESS)),
    }


def reopenings(session: Session, complaint_id: uuid.UUID) -> list[Event]:
    """Return the times a quality lead reopened a closed complaint, oldest first."""
    return list(repository.events_of_kind(session, complaint_id, EventKind.COMPLAINT_REOPENED))

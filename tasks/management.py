"""Tasks of the management review (the ``management-review`` deployment)."""

from __future__ import annotations

import uuid
from datetime import datetime

from prefect.runtime import flow_run
from pydantic import BaseModel

from complaints.management.contracts import ReviewMinutes
from complaints.management.convene import convene
from complaints.management.minutes import apply_minutes, take_minutes
from complaints.models import utcnow
from tasks.runtime import organization, settings, step_task, transaction


class ConvenedRef(BaseModel):
    """What the flow keeps of a convened review: ids and its reference only."""

    review_id: uuid.UUID
    reference: str
    message_ids: list[uuid.UUID]


@step_task("convene-management-review")
def convene_review(
    recipients: list[str], chair: str | None, meeting_in_days: int, as_of: datetime | None
) -> ConvenedRef:
    """Assemble the inputs, keep the review and queue its pack and invitation (once)."""
    with transaction() as session:
        convened = convene(
            session,
            organization(),
            settings(),
            key=f"flow-run:{flow_run.id}",
            flow_run_id=uuid.UUID(str(flow_run.id)) if flow_run.id else None,
            participants=recipients,
            chair=chair,
            meeting_in_days=meeting_in_days,
            now=as_of or utcnow(),
        )
    return ConvenedRef(**convened.__dict__)


def recorded_minutes(review_id: uuid.UUID, received: ReviewMinutes | None = None) -> bool:
    """Return whether the review's minutes are recorded, taking them for the run.

    Not a task: our record says what was decided, so a replayed run reads it here (one
    read, no task run, no suspension). ``received``: minutes given in the Prefect UI.
    """
    with transaction() as session:
        return take_minutes(session, organization(), review_id, received, now=utcnow()) is not None


class DecidedRef(BaseModel):
    message_ids: list[uuid.UUID]


@step_task("open-review-actions")
def open_review_actions(review_id: uuid.UUID) -> DecidedRef:
    """Open one action per decision of the minutes and send the record (once)."""
    with transaction() as session:
        ids = apply_minutes(session, organization(), settings(), review_id, now=utcnow())
    return DecidedRef(message_ids=ids)

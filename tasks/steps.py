"""Tasks around a waiting step: open it (record, link, email) and take its decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from prefect.context import FlowRunContext
from pydantic import BaseModel

from complaints import repository
from complaints.enums import StepKind, StepStatus
from complaints.intake import service
from complaints.models import utcnow
from complaints.steps import decisions, opening
from complaints.steps.catalogue.spec import Refs
from complaints.steps.contracts import StepInput
from tasks.runtime import organization, settings, step_task, transaction


class RecordedStep(BaseModel):
    """What our record holds of a step: its key and, once decided, the decision."""

    key: str
    decision: dict[str, Any] | None


@dataclass(frozen=True)
class _Settled:
    """The decisions a run has taken of its complaint's steps, read once per execution."""

    flow_run_id: uuid.UUID
    complaint_id: uuid.UUID
    decisions: dict[str, dict[str, Any]]


_settled: _Settled | None = None


def _settled_decision(complaint_id: uuid.UUID, key: str) -> dict[str, Any] | None:
    """Return a step's decision if the run took it before (none outside a flow run).

    A decided step the run has taken never changes again: one read per execution serves
    every earlier step the replay passes, however long the complaint's history.
    """
    global _settled
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return None
    run_id = context.flow_run.id
    if _settled is None or (_settled.flow_run_id, _settled.complaint_id) != (run_id, complaint_id):
        with transaction() as session:
            taken = repository.settled_decisions(session, complaint_id)
        _settled = _Settled(run_id, complaint_id, taken)
    return _settled.decisions.get(key)


def recorded_step(complaint_id: uuid.UUID, key: str, *, take: bool) -> RecordedStep | None:
    """Return what our database holds of a step (None: never opened).

    Not a task: our record, not Prefect's memory of the run, says what was decided, so a
    replayed run takes a decided step from here (no task run, no suspension), whatever
    Prefect remembers of the keys it suspended at: the steps it took before from one read
    per execution, any other from one read of its own. ``take``: the run takes the
    decision now, so it is marked applied, as one the run was resumed with is.
    """
    settled = _settled_decision(complaint_id, key)
    if settled is not None:
        return RecordedStep(key=key, decision=settled)
    with transaction() as session:
        step = repository.get_step(session, complaint_id, key)
        if step is None:
            return None
        if step.status is not StepStatus.DECIDED or step.decision is None:
            return RecordedStep(key=key, decision=None)
        if take:
            decisions.mark_applied(session, step)
        return RecordedStep(key=key, decision=dict(step.decision))


class OpenedStepRef(BaseModel):
    """What the flow keeps of an opened step: references only, no personal data."""

    step_id: uuid.UUID
    key: str
    message_ids: list[uuid.UUID]


@step_task("open-step")
def open_step(complaint_id: uuid.UUID, kind: StepKind, key: str, refs: Refs) -> OpenedStepRef:
    """Open a waiting step and queue the email that asks its assignee to act.

    ``refs`` (the kind's own model) point at the earlier steps this one is about; what
    it shows, who is asked and when it is due come from the step catalogue.
    """
    with transaction() as session:
        waiting = opening.open_waiting(
            session,
            service.require_complaint(session, complaint_id),
            kind=kind,
            key=key,
            refs=refs,
            org=organization(),
            settings=settings(),
            now=utcnow(),
        )
        return OpenedStepRef(step_id=waiting.step.id, key=key, message_ids=waiting.message_ids)


@step_task("take-decision")
def take_decision(complaint_id: uuid.UUID, key: str, received: StepInput) -> dict[str, Any]:
    """Record the decision the run was resumed with (if the web app has not) and return it."""
    with transaction() as session:
        return decisions.apply_decision(session, complaint_id, key, received)

"""Tasks of the assessment (ISO 10002 7.5): the clock that stands still while the
complainant answers, and the explanation when the problem is not ours."""

from __future__ import annotations

import uuid

from complaints import repository
from complaints.deadlines import schedule
from complaints.intake import service
from complaints.steps.notices import explain_not_ours as explain
from tasks.runtime import organization, settings, step_task, transaction


@step_task("account-for-waiting")
def account_for_waiting(complaint_id: uuid.UUID, info_key: str) -> int:
    """Stop the deadline clock for the time the complainant took, if the policy says so."""
    if not organization().deadlines.pause_for_complainant:
        return 0
    with transaction() as session:
        step = repository.get_step(session, complaint_id, info_key)
        assert step is not None
        return schedule.pause_clock_for(session, step)


@step_task("explain-not-ours")
def explain_not_ours(complaint_id: uuid.UUID, step_key: str) -> list[uuid.UUID]:
    """Queue the explanation (as the step that settled it has it) to the complainant."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        settled_by = repository.get_step(session, complaint_id, step_key)
        assert settled_by is not None
        message = explain(session, complaint, settled_by, organization(), settings())
        return [message.id]

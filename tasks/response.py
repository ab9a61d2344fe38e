"""Tasks of the answer to the complainant (ISO 10002 7.7, 7.8)."""

from __future__ import annotations

import uuid

from complaints import repository
from complaints.intake import service
from complaints.steps.notices import tell_decision as tell
from tasks.runtime import organization, settings, step_task, transaction


@step_task("tell-decision")
def tell_decision(complaint_id: uuid.UUID, decision_key: str) -> list[uuid.UUID]:
    """Tell the employees concerned how the complainant decided on the answer (7.8)."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        decision = repository.get_step(session, complaint_id, decision_key)
        assert decision is not None and decision.decision is not None
        messages = tell(session, complaint, decision, organization(), settings())
        return [m.id for m in messages]

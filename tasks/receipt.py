"""Receipt (ISO 10002 7.2, 7.4): the complainant is acknowledged at once."""

from __future__ import annotations

import uuid

from complaints.intake import service
from complaints.mail.complainant import acknowledge
from tasks.runtime import organization, settings, step_task, transaction


@step_task("acknowledge-receipt")
def acknowledge_receipt(complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """Queue the complainant's acknowledgement (none when withheld for its address)."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        message = acknowledge(session, complaint, organization(), settings())
        return [message.id] if message is not None else []

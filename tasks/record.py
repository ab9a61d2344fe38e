"""Tasks that change a complaint's record."""

from __future__ import annotations

import uuid

from complaints.enums import Resolution
from complaints.intake import service
from complaints.mail import notifications
from complaints.steps import service as step_service
from tasks.runtime import organization, settings, step_task, transaction


@step_task("close-complaint")
def close_complaint(complaint_id: uuid.UUID, resolution: Resolution) -> bool:
    """Close the complaint with a resolution."""
    with transaction() as session:
        return service.close(session, complaint_id, resolution)


@step_task("close-handled-complaint")
def close_handled(
    complaint_id: uuid.UUID, resolution: Resolution, closings: int
) -> list[uuid.UUID]:
    """Close a handled complaint with its final record (ISO 10002 7.9); tell the
    complainant, and give the quality leads a link to reopen it.

    ``closings`` counts earlier closings (a reopened complaint closes again).
    """
    org, config = organization(), settings()
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        service.close(session, complaint_id, resolution, step_service.final_record(complaint))
        occasion = f"closed-{closings}"
        told, _new = notifications.tell_progress(session, complaint, org, config, occasion=occasion)
        notices = notifications.closing_notice(session, complaint, occasion, org, config)
        return [told.id, *(m.id for m in notices)]


def times_reopened(complaint_id: uuid.UUID) -> int:
    """Return how often a quality lead reopened the complaint.

    Not a task: a run started again after a reopening must read it afresh, not from
    the run's stored results.
    """
    with transaction() as session:
        return len(step_service.reopenings(session, complaint_id))

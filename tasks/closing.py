"""Tasks that close a complaint (ISO 10002 7.9), and what a run reads of its reopenings."""

from __future__ import annotations

import uuid

from complaints.enums import Resolution
from complaints.intake import service
from complaints.steps import closing
from complaints.steps.history import reopenings
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
    """Close a handled complaint with its final record; tell the complainant, and give
    the quality leads a link to reopen it. ``closings`` counts earlier closings."""
    with transaction() as session:
        return closing.close_handled(
            session,
            service.require_complaint(session, complaint_id),
            resolution,
            closings=closings,
            org=organization(),
            settings=settings(),
        )


def times_reopened(complaint_id: uuid.UUID) -> int:
    """Return how often a quality lead reopened the complaint.

    Not a task: a run started again after a reopening must read it afresh, not from
    the run's stored results.
    """
    with transaction() as session:
        return len(reopenings(session, complaint_id))

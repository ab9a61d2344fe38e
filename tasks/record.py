"""Tasks that change a complaint's record."""

from __future__ import annotations

import uuid

from complaints import service
from complaints.enums import Resolution, Stage
from tasks.runtime import step_task, transaction


@step_task("move-to-stage")
def move_to_stage(complaint_id: uuid.UUID, stage: Stage) -> bool:
    """Move the complaint to a stage of the handling process."""
    with transaction() as session:
        return service.move_to_stage(session, complaint_id, stage)


@step_task("close-complaint")
def close_complaint(complaint_id: uuid.UUID, resolution: Resolution) -> bool:
    """Close the complaint with a resolution."""
    with transaction() as session:
        return service.close(session, complaint_id, resolution)

"""Tasks that change a complaint's record."""

from __future__ import annotations

import uuid

from prefect import task

from complaints import service
from complaints.enums import Resolution, Stage
from tasks.runtime import TASK_DEFAULTS, transaction


@task(name="move-to-stage", **TASK_DEFAULTS)  # type: ignore[call-overload]
def move_to_stage(complaint_id: uuid.UUID, stage: Stage) -> bool:
    """Move the complaint to a stage of the handling process."""
    with transaction() as session:
        return service.move_to_stage(session, complaint_id, stage)


@task(name="close-complaint", **TASK_DEFAULTS)  # type: ignore[call-overload]
def close_complaint(complaint_id: uuid.UUID, resolution: Resolution) -> bool:
    """Close the complaint with a resolution."""
    with transaction() as session:
        return service.close(session, complaint_id, resolution)

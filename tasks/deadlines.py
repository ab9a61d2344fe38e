"""Tasks of the deadline watch."""

from __future__ import annotations

import uuid
from datetime import datetime

from prefect.client.orchestration import get_client
from prefect.events import emit_event
from pydantic import BaseModel

from complaints.db import get_session_factory
from complaints.models import utcnow
from complaints.ops import deadline_watch
from tasks.runtime import organization, settings, step_task


class OverdueStep(BaseModel):
    complaint_id: uuid.UUID
    reference: str
    flow_run_id: uuid.UUID | None
    step_kind: str
    level: int


class WatchSummary(BaseModel):
    """What one round of the watch did: references only, no personal data."""

    message_ids: list[uuid.UUID]
    overdue: list[OverdueStep]
    superseded: int
    status_updates: int = 0


@step_task("check-deadlines")
def check_deadlines(as_of: datetime | None) -> WatchSummary:
    """Queue every reminder and escalation that has come (each exactly once)."""
    report = deadline_watch.watch(
        get_session_factory(), organization(), settings(), as_of or utcnow()
    )
    return WatchSummary(
        message_ids=report.message_ids,
        overdue=[OverdueStep(**vars(o)) for o in report.overdue],
        superseded=report.superseded,
        status_updates=report.status_updates,
    )


@step_task("mark-overdue")
async def mark_overdue(step: OverdueStep) -> None:
    """Make an overdue step visible in Prefect: an event, and a tag on the complaint's run."""
    related = []
    if step.flow_run_id is not None:
        related.append(
            {
                "prefect.resource.id": f"prefect.flow-run.{step.flow_run_id}",
                "prefect.resource.role": "flow-run",
            }
        )
    emit_event(
        event=f"complaint.{step.step_kind}.overdue",
        resource={
            "prefect.resource.id": f"complaint.{step.complaint_id}",
            "prefect.resource.name": step.reference,
        },
        related=related,
        payload={"escalation_level": step.level},
    )
    if step.flow_run_id is None:
        return
    async with get_client() as client:
        run = await client.read_flow_run(step.flow_run_id)
        tag = f"overdue:{step.step_kind}"
        if tag not in run.tags:
            await client.update_flow_run(step.flow_run_id, tags=[*run.tags, tag])

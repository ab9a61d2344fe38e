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
from complaints.ops.run_view import OVERDUE_TAG
from tasks.runtime import organization, settings, step_task


class NoticedStep(BaseModel):
    """A notice a step was given: references only, no personal data."""

    complaint_id: uuid.UUID
    reference: str
    flow_run_id: uuid.UUID | None
    step_kind: str
    step_key: str
    event: str
    level: int


class WatchSummary(BaseModel):
    """What one round of the watch did: references only, no personal data."""

    message_ids: list[uuid.UUID]
    noticed: list[NoticedStep]
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
        noticed=[NoticedStep(**vars(n)) for n in report.noticed],
        superseded=report.superseded,
        status_updates=report.status_updates,
    )


@step_task("show-notice")
async def show_notice(step: NoticedStep) -> None:
    """Show a notice in Prefect as it is given: an event about the complaint (its run
    related), and the ``overdue`` tag on a waiting run once a step is late.

    The tag is written only while the run waits: a running complaint run rewrites its
    own tags at its next step (from our record, overdue included), and two writers of
    one run's tags would race.
    """
    related = []
    if step.flow_run_id is not None:
        related.append(
            {
                "prefect.resource.id": f"prefect.flow-run.{step.flow_run_id}",
                "prefect.resource.role": "flow-run",
            }
        )
    emit_event(
        event=f"complaint.step.{step.event}",
        resource={
            "prefect.resource.id": f"complaint.{step.complaint_id}",
            "prefect.resource.name": step.reference,
        },
        related=related,
        payload={"kind": step.step_kind, "key": step.step_key, "level": step.level},
    )
    if step.flow_run_id is None or step.event == "reminded":
        return
    async with get_client() as client:
        run = await client.read_flow_run(step.flow_run_id)
        if OVERDUE_TAG not in run.tags and run.state is not None and run.state.is_paused():
            await client.update_flow_run(step.flow_run_id, tags=[*run.tags, OVERDUE_TAG])

"""Tasks of the deadline watch."""

from __future__ import annotations

import uuid
from datetime import datetime

from prefect.client.orchestration import get_client
from prefect.events import emit_event
from pydantic import BaseModel

from complaints.db import get_session_factory
from complaints.enums import StepKind
from complaints.management.watch import watch_review_tasks
from complaints.models import utcnow
from complaints.ops import deadline_watch
from complaints.ops.alerts import stuck_mail
from complaints.ops.run_view import OVERDUE_TAG
from tasks.runtime import organization, settings, step_task, transaction


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
    now = as_of or utcnow()
    report = deadline_watch.watch(get_session_factory(), organization(), settings(), now)
    # The tasks of management reviews (minutes, actions) get theirs the same way.
    with transaction() as session:
        review_tasks = watch_review_tasks(session, organization(), settings(), now=now)
    return WatchSummary(
        message_ids=report.message_ids + review_tasks,
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
    resource = {
        "prefect.resource.id": f"complaint.{step.complaint_id}",
        "prefect.resource.name": step.reference,
    }
    payload = {"kind": step.step_kind, "key": step.step_key, "level": step.level}
    emit_event(
        event=f"complaint.step.{step.event}", resource=resource, related=related, payload=payload
    )
    if step.step_kind == StepKind.CONTAINMENT.value and step.event == "reminded":
        # The 48-hour containment is close to being missed: an automation tells operators.
        run_ref = {"flow_run_id": str(step.flow_run_id or "")}
        emit_event(
            event="complaint.containment.at-risk",
            resource=resource,
            related=related,
            payload={**payload, **run_ref},
        )
    if step.flow_run_id is None or step.event == "reminded":
        return
    async with get_client() as client:
        run = await client.read_flow_run(step.flow_run_id)
        if OVERDUE_TAG not in run.tags and run.state is not None and run.state.is_paused():
            await client.update_flow_run(step.flow_run_id, tags=[*run.tags, OVERDUE_TAG])


@step_task("watch-mail")
def watch_mail(as_of: datetime | None) -> bool:
    """Raise ``complaints.mail.failing`` while mail is failing; return whether it is.

    The event names the episode's oldest message, so the automation's alert is mailed
    once per outage however many rounds see it.
    """
    with get_session_factory()() as session:
        stuck = stuck_mail(session, as_of or utcnow(), minutes=settings().mail_alert_minutes)
    if stuck is None:
        return False
    emit_event(
        event="complaints.mail.failing",
        resource={
            "prefect.resource.id": f"complaints.mail.{stuck.oldest_id}",
            "prefect.resource.name": "mail",
        },
        payload={"waiting": stuck.waiting, "failed": stuck.failed},
    )
    return True

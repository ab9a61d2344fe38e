"""Tasks that tell people: queue the email in the outbox, then try to deliver it at once."""

from __future__ import annotations

import uuid

from prefect import get_run_logger

from complaints.db import get_session_factory
from complaints.enums import StepStatus
from complaints.intake import service
from complaints.mail import notifications, outbox
from complaints.models import Step
from tasks.runtime import flow_step, organization, settings, step_task, transaction


@step_task("acknowledge-receipt")
def acknowledge_receipt(complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """Queue the complainant's acknowledgement."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        message, _new = notifications.acknowledge(session, complaint, organization(), settings())
        return [message.id]


@step_task("explain-not-ours")
def explain_not_ours(complaint_id: uuid.UUID, step_key: str) -> list[uuid.UUID]:
    """Queue the handler's explanation to the complainant."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        step = next(s for s in complaint.steps if s.key == step_key)
        explanation = _decided(step)["explanation"]
        message, _new = notifications.explain_not_ours(
            session, complaint, explanation, organization(), settings()
        )
        return [message.id]


@flow_step("deliver-mail")
async def deliver_mail(message_ids: list[uuid.UUID]) -> int:
    """Try to deliver queued messages now; what fails waits in the outbox for the sender
    (the web app's loop), so nothing here fails the run."""
    try:
        report = await outbox.deliver(get_session_factory(), settings(), message_ids)
    except Exception as exc:  # the database away: the messages wait in the outbox
        get_run_logger().warning("mail: left to the outbox (%s)", type(exc).__name__)
        return 0
    sent, retry, failed = map(len, report.as_tuple())
    if retry or failed:
        get_run_logger().warning("mail: %d sent, %d to retry, %d failed", sent, retry, failed)
    return sent


def _decided(step: Step) -> dict[str, str]:
    if step.status is not StepStatus.DECIDED or step.decision is None:
        raise RuntimeError(f"step {step.key} has no decision")
    return {k: str(v) for k, v in step.decision.items()}

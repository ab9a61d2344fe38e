"""Delivering queued mail from a flow run: tried at once, left to the outbox on failure."""

from __future__ import annotations

import uuid

from prefect import get_run_logger

from complaints.db import get_session_factory
from complaints.mail import outbox
from tasks.runtime import flow_step, settings


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

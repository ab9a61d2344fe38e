"""The ``management-review`` deployment (ISO 10002 8.6, ISO 9001 9.3): a flow that
waits for people.

It assembles the inputs from our records (the latest trend analysis, the actions of
earlier reviews with their outcomes, open systemic problems), sends every participant
the pack and a calendar invitation, and waits, suspended and holding no process, for
the chair's minutes. Their decisions become actions, each with one owner and a due
date, tracked like corrective actions (the deadline watch reminds and escalates); the
next review, on the day the minutes set, is scheduled, and its pack reports on them.
Parameters are person keys: no personal data.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run
from pydantic import ValidationError

import suspensions
from complaints.management.contracts import ReviewMinutes
from complaints.management.decide import DecisionRefused
from complaints.models import MINUTES_KEY
from flows.run_logs import quiet_run_logs
from suspensions.suspend import suspend_with_message
from tasks.journal import ensure_current_execution
from tasks.mail import deliver_mail
from tasks.management import (
    convene_review,
    open_review_actions,
    recorded_minutes,
    schedule_next_review,
)

quiet_run_logs()


async def wait_for_minutes(review_id: uuid.UUID, reference: str) -> None:
    """Wait, suspended, until the chair's minutes are recorded (through their link, or
    given by an operator in the Prefect UI)."""
    if recorded_minutes(review_id):
        return
    ensure_current_execution()
    message = f"{reference} waits for the minutes of its chair"
    while True:
        # An answer in the Prefect UI the rules refuse (the contract's, or people the
        # organization file does not know) is forgotten, and the run waits again.
        try:
            received = await suspend_with_message(ReviewMinutes, key=MINUTES_KEY, message=message)
            if recorded_minutes(review_id, received):
                return
        except (ValidationError, DecisionRefused) as exc:
            get_run_logger().warning("%s: minutes refused (%s); waiting again", reference, exc)
            async with get_client() as client:
                await suspensions.forget_answer(client, uuid.UUID(str(flow_run.id)), MINUTES_KEY)


@flow(name="management-review", persist_result=True)
async def management_review(
    recipients: list[str] | None = None,
    chair: str | None = None,
    meeting_in_days: int = 7,
    as_of: datetime | None = None,
) -> str:
    """Convene a management review and turn its minutes into tracked actions.

    ``recipients``: the participants, person keys of the organization file (default:
    the quality leads); ``chair``: who submits the minutes (default: the first lead).
    """
    convened = convene_review(recipients or [], chair, meeting_in_days, as_of)
    await deliver_mail(convened.message_ids)
    await wait_for_minutes(convened.review_id, convened.reference)
    decided = open_review_actions(convened.review_id)
    await deliver_mail(decided.message_ids)
    await schedule_next_review(convened.review_id)
    get_run_logger().info(
        "management review %s: %d emails queued after the minutes",
        convened.reference,
        len(decided.message_ids),
    )
    return convened.reference

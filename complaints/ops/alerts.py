"""The operators' alerts: what each automation shipped with the system means, and the
email it becomes (Prefect OSS automations cannot send email; they call our web app).

Each alert is mailed once per automation and subject (a failed run, a stuck message, a
complaint's containment), to each operator in the organization file, through the outbox:
Prefect calling the webhook again, or two web processes answering, send nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from complaints.enums import OutboxStatus
from complaints.mail.compose import queue_staff_email
from complaints.mail.contexts import OperatorAlertContext
from complaints.models import OutboxMessage
from complaints.organization import Organization


@dataclass(frozen=True)
class Automation:
    """An automation: its name in Prefect, the events that fire it, what it tells."""

    name: str
    events: tuple[str, ...]
    # The message ids of the catalogs: a headline and what the operator should do.
    alert: str
    explanation: str
    # Fired by a complaint run's own state (matched on the flow), not by our events.
    of_complaint_runs: bool = False


AUTOMATIONS = (
    Automation(
        "complaints: a complaint run crashed or failed",
        ("prefect.flow-run.Crashed", "prefect.flow-run.Failed"),
        "A complaint run crashed or failed",
        "operators.alert.run_failed",
        of_complaint_runs=True,
    ),
    Automation(
        "complaints: mail is failing",
        ("complaints.mail.failing",),
        "Mail is failing",
        "operators.alert.mail_failing",
    ),
    Automation(
        "complaints: a containment deadline is about to be missed",
        ("complaint.containment.at-risk",),
        "A 48-hour containment is about to be missed",
        "operators.alert.containment_at_risk",
    ),
)


def automation_named(name: str) -> Automation | None:
    """Return the shipped automation of that name (None: not one of ours)."""
    return next((a for a in AUTOMATIONS if a.name == name), None)


@dataclass(frozen=True)
class Fired:
    """What the webhook says: which automation, about which resource, when."""

    automation: Automation
    resource_id: str
    label: str
    occurred: datetime
    console_url: str


def tell_operators(
    session: Session, org: Organization, fired: Fired, *, now: datetime
) -> list[uuid.UUID]:
    """Queue the alert to every operator once per automation and resource; return the
    emails queued now (none when it was told before)."""
    queued = []
    for key in org.alerted_operators:
        person = org.person(key)
        context = OperatorAlertContext(
            reference=fired.label,
            recipient_name=person.name,
            organization=org.name,
            alert=fired.automation.alert,
            explanation=fired.automation.explanation,
            occurred=fired.occurred,
            console_url=fired.console_url,
        )
        message, new = queue_staff_email(
            session,
            person,
            org,
            context,
            dedup_key=f"operators:{fired.automation.name}:{fired.resource_id}:{key}",
            now=now,
        )
        if new:
            queued.append(message.id)
    return queued


# A message that failed lately keeps "mail failing" raised this long.
FAILED_LATELY = timedelta(days=1)


@dataclass(frozen=True)
class StuckMail:
    """Mail that is failing: the oldest message of the episode (its id names the alert,
    so one outage is told once), and how many wait and failed."""

    oldest_id: uuid.UUID
    waiting: int
    failed: int


def stuck_mail(session: Session, now: datetime, *, minutes: float) -> StuckMail | None:
    """Return the mail an attempt failed for and still undelivered ``minutes`` after its
    first attempt, or failed for good within the last day; None when mail flows."""
    stuck = or_(
        and_(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.last_error.is_not(None),
            OutboxMessage.first_attempt_at < now - timedelta(minutes=minutes),
        ),
        and_(
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.created_at >= now - FAILED_LATELY,
        ),
    )
    oldest = session.scalar(
        select(OutboxMessage.id).where(stuck).order_by(OutboxMessage.created_at).limit(1)
    )
    if oldest is None:
        return None
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).where(stuck).group_by(OutboxMessage.status)
        )
        .tuples()
        .all()
    )
    failed = counts.pop(OutboxStatus.FAILED, 0)
    return StuckMail(oldest, sum(counts.values()), failed)

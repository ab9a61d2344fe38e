"""Composing an email for a person about a complaint and queuing it once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from complaints.enums import EmailKind, Locale
from complaints.mail import outbox
from complaints.mail.emails import EmailContext, render_email
from complaints.mail.outbox import EmailAttachment
from complaints.models import Complaint, OutboxMessage
from complaints.organization import Organization, Person


def addressed(complaint: Complaint, recipient_name: str, org: Organization) -> dict[str, Any]:
    """Return the fields every email about a complaint shares: its reference and product,
    whom it is for and who sends it."""
    return {
        "reference": complaint.reference,
        "recipient_name": recipient_name,
        "organization": org.name,
        "product": complaint.product,
    }


def queue_email(
    session: Session,
    complaint: Complaint,
    occasion: str,
    person: Person,
    org: Organization,
    context: EmailContext,
    *,
    attachments: list[EmailAttachment] | None = None,
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    """Render an email in the person's language and time zone and queue it (once per
    complaint, occasion, person and kind); return it and whether it was queued now."""
    email = render_email(context, locale=Locale(person.locale), zone=org.zone_of(person))
    return outbox.enqueue(
        session,
        dedup_key=dedup_key(complaint, occasion, person.key, context.kind),
        complaint_id=complaint.id,
        kind=context.kind.value,
        recipient=str(person.email),
        recipient_name=person.name,
        email=email,
        attachments=attachments,
        now=now,
    )


def dedup_key(complaint: Complaint, occasion: str, person_key: str, kind: EmailKind) -> str:
    """Return the outbox key of one email: one per complaint, occasion, person and kind."""
    return f"{complaint.id}:{occasion}:{person_key}:{kind.value}"


def queue_staff_email(
    session: Session,
    person: Person,
    org: Organization,
    context: EmailContext,
    *,
    dedup_key: str,
    attachments: list[EmailAttachment | outbox.StoredAttachment] | None = None,
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    """Render an email to a member of staff about no one complaint (a review, an alert,
    a sign-in link) in their language and time zone, and queue it once per
    ``dedup_key``; return it and whether it was queued now."""
    email = render_email(context, locale=Locale(person.locale), zone=org.zone_of(person))
    return outbox.enqueue(
        session,
        dedup_key=dedup_key,
        complaint_id=None,
        kind=context.kind.value,
        recipient=str(person.email),
        recipient_name=person.name,
        email=email,
        attachments=attachments,
        now=now,
    )

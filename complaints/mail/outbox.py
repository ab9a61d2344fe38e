"""The outbox: every email is written with the change that causes it, then delivered
(:mod:`complaints.mail.delivery`).

The dedup key (complaint, step, recipient, kind) is unique, so a flow that runs a step
again, a retried task or two racing processes can never queue a second copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind

# Re-exported: the outbox is where mail is queued and delivered from.
from complaints.mail.delivery import DeliveryReport as DeliveryReport
from complaints.mail.delivery import deliver as deliver
from complaints.mail.emails import RenderedEmail

# Re-exported: callers build attachments, and tests messages, through the outbox.
from complaints.mail.mime import EmailAttachment as EmailAttachment
from complaints.mail.mime import StoredAttachment as StoredAttachment
from complaints.mail.mime import build_message as build_message
from complaints.mail.mime import one_line, stored_form
from complaints.models import OutboxMessage, utcnow


def enqueue(
    session: Session,
    *,
    dedup_key: str,
    complaint_id: uuid.UUID | None,
    kind: str,
    recipient: str,
    recipient_name: str,
    email: RenderedEmail,
    attachments: Sequence[EmailAttachment | StoredAttachment] | None = None,
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    """Queue an email unless one with the same dedup key exists; return it and whether it is new.

    ``now`` is when the decision to send it was made (``created_at``: what "last heard"
    rules read); it is due for delivery at once, on the sender's own clock.
    """
    existing = _queued(session, dedup_key)
    if existing:
        return existing, False
    message_id = uuid.uuid4()
    message = OutboxMessage(
        id=message_id,
        dedup_key=dedup_key,
        complaint_id=complaint_id,
        kind=kind,
        recipient=recipient,
        recipient_name=one_line(recipient_name),
        subject=one_line(email.subject),
        body_text=email.text,
        body_html=email.html,
        message_id=f"<{message_id}@complaints.invalid>",
        attachments=[stored_form(a) for a in attachments or []],
        created_at=now or utcnow(),
    )
    raced = _insert_once(session, message)
    if raced is not None:
        return raced, False
    if complaint_id is not None:
        record_event(
            session,
            complaint_id,
            EventKind.EMAIL_QUEUED,
            data={"kind": kind, "dedup_key": dedup_key},
            at=message.created_at,
        )
    return message, True


def _insert_once(session: Session, message: OutboxMessage) -> OutboxMessage | None:
    """Insert a message; return the one another process queued first under its key."""
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # another process queued it between our read and our write
        raced = _queued(session, message.dedup_key)
        assert raced is not None
        return raced
    return None


def _queued(session: Session, dedup_key: str) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
    ).first()


def exists(session: Session, dedup_key: str) -> bool:
    """Whether a message with this dedup key was queued."""
    query = select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)
    return session.scalars(query).first() is not None

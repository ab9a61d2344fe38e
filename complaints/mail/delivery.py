"""Delivering the outbox: one message at a time, each claimed with a conditional UPDATE, so
two senders never both send it.

A claim runs out (a sender that died mid-send must not hold a message for ever); a
sender frozen past its claim (a stopped process, a stalled machine) finds, before it
hands the message over (SMTP DATA), that another took it over, and stops there; its
late outcome is not recorded over the other's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any, Literal

import aiosmtplib
from aiosmtplib.response import SMTPResponse
from aiosmtplib.typing import Default
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from complaints.audit import record_event
from complaints.enums import EventKind, OutboxStatus
from complaints.mail.mime import AttachmentUnavailable, build_message, stored_file_reader
from complaints.models import OutboxMessage, utcnow
from complaints.settings import Settings


@dataclass
class DeliveryReport:
    sent: list[uuid.UUID] = field(default_factory=list)
    retrying: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)

    def as_tuple(self) -> tuple[list[uuid.UUID], list[uuid.UUID], list[uuid.UUID]]:
        """Return (sent, retrying, failed)."""
        return self.sent, self.retrying, self.failed


def _claimable(now: datetime) -> ColumnElement[bool]:
    # Due for a (re)try, or claimed by a sender whose claim ran out (it died mid-send).
    return or_(
        (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_until < now),
    )


def _claim(session: Session, message_id: uuid.UUID, now: datetime, claim_seconds: float) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _claimable(now))
        .values(
            status=OutboxStatus.SENDING,
            claimed_until=now + timedelta(seconds=claim_seconds),
            attempts=OutboxMessage.attempts + 1,
            first_attempt_at=func.coalesce(OutboxMessage.first_attempt_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def due_message_ids(session: Session, now: datetime, limit: int = 50) -> list[uuid.UUID]:
    """Return the ids of messages that may be (re)sent now."""
    rows = session.scalars(
        select(OutboxMessage.id)
        .where(_claimable(now))
        .order_by(OutboxMessage.created_at)
        .limit(limit)
    )
    return list(rows)


async def deliver(
    sessions: sessionmaker[Session],
    settings: Settings,
    message_ids: list[uuid.UUID] | None = None,
    *,
    now: datetime | None = None,
) -> DeliveryReport:
    """Deliver the given (or all due) messages; failures are recorded, never raised.

    Database work runs in threads: the caller's event loop (the web app's) never waits
    on a database lock.
    """
    report = DeliveryReport()
    moment = now or utcnow()
    candidates = message_ids
    if candidates is None:
        candidates = await asyncio.to_thread(_in_session, sessions, due_message_ids, moment)
    for message_id in candidates:
        claimed = await asyncio.to_thread(_claim_and_build, sessions, message_id, moment, settings)
        if claimed is None:
            continue
        built, attempts = claimed
        error: str | None
        if isinstance(built, str):
            # A stored file it carries is missing or altered: trying again cannot help.
            error, permanent = built, True
        else:
            still_ours = partial(asyncio.to_thread, _holds_claim, sessions, message_id, attempts)
            error, permanent = await _send(built, settings, still_ours)
        status = await asyncio.to_thread(
            _record_attempt, sessions, message_id, error, permanent, attempts, settings, moment
        )
        if status is not None:
            {
                OutboxStatus.SENT: report.sent,
                OutboxStatus.PENDING: report.retrying,
                OutboxStatus.FAILED: report.failed,
            }[status].append(message_id)
    return report


def _holds_claim(sessions: sessionmaker[Session], message_id: uuid.UUID, attempt: int) -> bool:
    """Whether the claim of delivery attempt ``attempt`` is still the message's current one.

    Every claim counts an attempt, so a claim taken over by another sender (this one's
    ran out) shows as a higher count. Clock-free: it holds on any sender's clock.
    """
    with sessions() as session:
        row = session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).where(
                OutboxMessage.id == message_id
            )
        ).one_or_none()
    return row is not None and row.status is OutboxStatus.SENDING and row.attempts == attempt


def _in_session(
    sessions: sessionmaker[Session],
    query: Callable[[Session, datetime], list[uuid.UUID]],
    moment: datetime,
) -> list[uuid.UUID]:
    with sessions.begin() as session:
        return query(session, moment)


def _claim_and_build(
    sessions: sessionmaker[Session], message_id: uuid.UUID, moment: datetime, settings: Settings
) -> tuple[EmailMessage | str, int] | None:
    """Claim a message and build it; return it (or why it cannot be built) and its attempts."""
    with sessions.begin() as session:
        if not _claim(session, message_id, moment, settings.outbox_claim_seconds):
            return None
        row = session.get_one(OutboxMessage, message_id)
        session.refresh(row)
        reader = stored_file_reader(session, settings, row.complaint_id)
        try:
            return build_message(row, settings.mail_from, read_file=reader), row.attempts
        except AttachmentUnavailable as exc:
            return f"{type(exc).__name__}: {exc}", row.attempts


def _record_attempt(
    sessions: sessionmaker[Session],
    message_id: uuid.UUID,
    error: str | None,
    permanent: bool,
    attempts: int,
    settings: Settings,
    now: datetime,
) -> OutboxStatus | None:
    """Record this attempt's outcome; None if another sender took the message over."""
    with sessions.begin() as session:
        row = session.get_one(OutboxMessage, message_id, with_for_update=True)
        if row.status is not OutboxStatus.SENDING or row.attempts != attempts:
            return None
        _settle(
            row, error=error, permanent=permanent, attempts=attempts, settings=settings, now=now
        )
        _record_outcome(session, row)
        return row.status


class ClaimLost(Exception):
    """Another sender took the message over while this one was on its way to DATA."""


class _FencedSMTP(aiosmtplib.SMTP):
    """An SMTP client that hands a message over (DATA) only while its claim holds."""

    def __init__(self, still_ours: Callable[[], Awaitable[bool]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._still_ours = still_ours

    async def data(
        self,
        message: str | bytes,
        /,
        *,
        timeout: float | Literal[Default.token] | None = Default.token,
    ) -> SMTPResponse:
        if not await self._still_ours():
            raise ClaimLost
        return await super().data(message, timeout=timeout)


async def _send(
    mime: EmailMessage, settings: Settings, still_ours: Callable[[], Awaitable[bool]]
) -> tuple[str | None, bool]:
    host, port = settings.smtp_server
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    client = _FencedSMTP(
        still_ours,
        hostname=host,
        port=port,
        username=settings.smtp_username,
        password=password,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )
    try:
        async with client:
            await client.send_message(mime)
    except ClaimLost:
        return "claim lost: another sender took the message over", False
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refused.code for refused in exc.recipients]
        return f"SMTP {max(codes, default=0)} (recipient refused)", min(codes, default=0) >= 500
    except aiosmtplib.SMTPResponseException as exc:
        # The error text can quote the address: keep only the code and the class.
        return f"SMTP {exc.code} ({type(exc).__name__})", exc.code >= 500
    except (aiosmtplib.SMTPException, OSError) as exc:
        return f"{type(exc).__name__}: server unreachable or connection lost", False
    return None, False


def _record_outcome(session: Session, row: OutboxMessage) -> None:
    if row.complaint_id is None or row.status is OutboxStatus.PENDING:
        return
    kind = EventKind.EMAIL_SENT if row.status is OutboxStatus.SENT else EventKind.EMAIL_FAILED
    data = {"kind": row.kind, "dedup_key": row.dedup_key, "attempts": row.attempts}
    if row.last_error:
        data["error"] = row.last_error
    record_event(session, row.complaint_id, kind, data=data)


def _settle(
    row: OutboxMessage,
    *,
    error: str | None,
    permanent: bool,
    attempts: int,
    settings: Settings,
    now: datetime,
) -> None:
    """Record one delivery attempt's outcome, all on the delivery's clock ``now``."""
    row.claimed_until = None
    if error is None:
        row.status = OutboxStatus.SENT
        row.sent_at = now
        row.last_error = None
        return
    row.last_error = error
    give_up_at = (row.first_attempt_at or now) + timedelta(hours=settings.outbox_give_up_hours)
    if permanent or now >= give_up_at:
        row.status = OutboxStatus.FAILED
        return
    row.status = OutboxStatus.PENDING
    delay = settings.outbox_retry_base_seconds * 2 ** min(attempts - 1, 20)
    row.next_attempt_at = now + timedelta(seconds=min(delay, settings.outbox_retry_max_seconds))

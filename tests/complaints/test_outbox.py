"""The outbox against a real SMTP server: one copy per dedup key, nothing lost while it is down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from complaints.enums import OutboxStatus
from complaints.mail import outbox
from complaints.mail.emails import RenderedEmail
from complaints.models import OutboxMessage, utcnow
from complaints.settings import Settings
from devtools.mailbox import DevMailbox
from tests.support.processes import free_port


def _queue(
    sessions: sessionmaker[Session],
    key: str,
    recipient: str = "a@example.com",
    *,
    now: datetime | None = None,
) -> uuid.UUID:
    with sessions.begin() as session:
        message, _new = outbox.enqueue(
            session,
            dedup_key=key,
            complaint_id=None,
            kind="acknowledgement",
            recipient=recipient,
            recipient_name="王芳\r\nBcc: evil@example.com",
            email=RenderedEmail(
                subject="Hello\r\nBcc: evil@example.com", text="t", html="<p>h</p>"
            ),
            now=now,
        )
        return message.id


def _settings(port: int) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=3)


def _status(sessions: sessionmaker[Session], message_id: uuid.UUID) -> OutboxMessage:
    with sessions() as session:
        return session.get_one(OutboxMessage, message_id)


def test_same_dedup_key_queues_one_message(sessions: sessionmaker[Session]) -> None:
    key = f"test:{uuid.uuid4()}"
    first = _queue(sessions, key)
    assert _queue(sessions, key) == first


def test_mail_waits_while_smtp_is_down_and_goes_out_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    port = free_port()
    message_id = _queue(sessions, f"test:{uuid.uuid4()}")
    down = asyncio.run(outbox.deliver(sessions, _settings(port), [message_id]))
    assert down.retrying == [message_id]
    row = _status(sessions, message_id)
    assert row.status is OutboxStatus.PENDING and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > utcnow()

    box = DevMailbox(tmp_path / "box", port=port)
    box.start()
    try:
        later = utcnow() + timedelta(hours=2)
        up = asyncio.run(outbox.deliver(sessions, _settings(port), [message_id], now=later))
        again = asyncio.run(outbox.deliver(sessions, _settings(port), [message_id], now=later))
    finally:
        box.stop()
    assert up.sent == [message_id] and again.sent == []
    received = box.store.messages()
    assert len(received) == 1
    # Header injection attempts stay inside the header values.
    assert received[0].message["Bcc"] is None
    assert received[0].part("html") and received[0].part("plain")
    assert _status(sessions, message_id).status is OutboxStatus.SENT


class _Refuse:
    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        return "550 5.1.1 mailbox unavailable"


def test_permanent_refusal_is_marked_failed_for_operators(sessions: sessionmaker[Session]) -> None:
    port = free_port()
    controller = Controller(_Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message_id = _queue(sessions, f"test:{uuid.uuid4()}", recipient="gone@example.com")
        report = asyncio.run(outbox.deliver(sessions, _settings(port), [message_id]))
    finally:
        controller.stop()
    assert report.failed == [message_id]
    row = _status(sessions, message_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error and "550" in row.last_error and "gone@example.com" not in row.last_error


@pytest.mark.parametrize("senders", [4])
def test_racing_senders_send_each_message_once(
    sessions: sessionmaker[Session], tmp_path: Path, senders: int
) -> None:
    port = free_port()
    ids = [_queue(sessions, f"race:{uuid.uuid4()}") for _ in range(10)]
    box = DevMailbox(tmp_path / "race", port=port)
    box.start()

    async def race() -> None:
        await asyncio.gather(
            *(outbox.deliver(sessions, _settings(port), ids) for _ in range(senders))
        )

    try:
        asyncio.run(race())
    finally:
        box.stop()
    assert len(box.store.messages()) == 10
    assert {_status(sessions, i).status for i in ids} == {OutboxStatus.SENT}


def test_giving_up_counts_from_the_first_attempt_on_the_senders_clock(
    sessions: sessionmaker[Session],
) -> None:
    # Queued by a watch replayed for a window long past: its decision's clock is old, but
    # delivery has only just started trying, so one failure is no reason to give up.
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), outbox_give_up_hours=1)
    decided = utcnow() - timedelta(days=10)
    message_id = _queue(sessions, f"test:{uuid.uuid4()}", now=decided)
    assert _status(sessions, message_id).created_at == decided
    sending = utcnow()
    first = asyncio.run(outbox.deliver(sessions, settings, [message_id], now=sending))
    assert first.retrying == [message_id]
    assert _status(sessions, message_id).first_attempt_at == sending
    later = sending + timedelta(hours=2)
    last = asyncio.run(outbox.deliver(sessions, settings, [message_id], now=later))
    assert last.failed == [message_id]
    assert _status(sessions, message_id).first_attempt_at == sending  # the first one counts


class _TakenOverMidSend:
    """Receives mail; while the first sender waits for its RCPT answer (frozen past its
    claim, as a stopped process would be), a second sender takes the message over."""

    def __init__(self, take_over: Callable[[], object]) -> None:
        self.take_over: Callable[[], object] | None = take_over
        self.received: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if self.take_over is not None:
            take_over, self.take_over = self.take_over, None
            await asyncio.to_thread(take_over)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append(envelope.content)
        return "250 OK"


def test_a_sender_frozen_past_its_claim_neither_sends_nor_overwrites_the_outcome(
    sessions: sessionmaker[Session],
) -> None:
    port = free_port()
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=10, outbox_claim_seconds=60
    )
    message_id = _queue(sessions, f"test:{uuid.uuid4()}")
    reports: list[outbox.DeliveryReport] = []

    def second_sender() -> None:
        # Its clock is past the first sender's claim: the message is claimable again.
        later = utcnow() + timedelta(seconds=61)
        reports.append(asyncio.run(outbox.deliver(sessions, settings, [message_id], now=later)))

    handler = _TakenOverMidSend(second_sender)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = asyncio.run(outbox.deliver(sessions, settings, [message_id]))
    finally:
        controller.stop()
    assert reports[0].sent == [message_id]
    assert first.sent == first.retrying == first.failed == []  # it stopped before DATA
    assert len(handler.received) == 1
    row = _status(sessions, message_id)
    assert row.status is OutboxStatus.SENT and row.attempts == 2 and row.last_error is None

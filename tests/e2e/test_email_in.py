"""Email in on the whole stack: an email with a photo sent over SMTP to the complaints
address becomes a complaint with its attachment and gets one acknowledgement; the
complainant's reply lands on that complaint, on the handler's step page; an auto-reply is
recorded and not answered."""

from __future__ import annotations

import asyncio
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.enums import Channel
from complaints.models import Attachment, Complaint, InboundMessage
from tests.support.links import step_link
from tests.support.stack import Stack, eventually

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
COMPLAINTS = "complaints@localhost"
HANDLER = "li.wei@acme.example"


def _send(stack: Stack, message: EmailMessage) -> None:
    asyncio.run(aiosmtplib.send(message, hostname=stack.mailbox.host, port=stack.mailbox.port))


def _email(sender: str, subject: str, text: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Wang Fang <{sender}>"
    message["To"] = COMPLAINTS
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def test_an_email_becomes_a_complaint_and_a_reply_lands_on_it(
    stack: Stack, stack_sessions: sessionmaker[Session]
) -> None:
    sender = f"wang.{uuid.uuid4().hex[:8]}@example.com"
    first = _email(sender, "Kettle K2 leaks", "The electric kettle leaks at the base.")
    first.add_attachment(PNG, maintype="image", subtype="png", filename="leak.png")
    _send(stack, first)

    def recorded() -> Complaint | None:
        with stack_sessions() as session:
            return session.scalars(
                select(Complaint).where(Complaint.complainant_email == sender)
            ).first()

    complaint = eventually(recorded, what="the complaint from the email")
    assert complaint.channel is Channel.EMAIL
    with stack_sessions() as session:
        files = session.scalars(
            select(Attachment.content_type).where(Attachment.complaint_id == complaint.id)
        ).all()
    assert files == ["image/png"]
    acknowledgement = eventually(
        lambda: stack.mail_to(sender, complaint.reference), what="the acknowledgement"
    )
    request = eventually(
        lambda: stack.mail_to(HANDLER, complaint.reference), what="the assessment request"
    )

    # The complainant answers the acknowledgement: correspondence, not a new complaint.
    reply = _email(
        sender,
        f"Re: {acknowledgement[0].subject}",
        "It now leaks every time I boil water.",
        In_Reply_To=str(acknowledgement[0].message["Message-ID"]),
    )
    _send(stack, reply)
    # An auto-reply to the complaints address: recorded, never answered.
    away = _email(sender, "Out of office", "I am away.", Auto_Submitted="auto-replied")
    _send(stack, away)

    def outcome(message: EmailMessage) -> str | None:
        with stack_sessions() as session:
            return session.scalars(
                select(InboundMessage.outcome).where(
                    InboundMessage.message_id == message["Message-ID"]
                )
            ).first()

    assert eventually(lambda: outcome(reply), what="the reply") == "correspondence"
    assert eventually(lambda: outcome(away), what="the auto-reply") == "ignored"
    page = httpx.get(step_link(request[0]), timeout=10).text
    assert "It now leaks every time I boil water." in page
    time.sleep(2)  # give a wrong answer to the auto-reply time to show
    assert len(stack.mail_to(sender, complaint.reference)) == 1  # the acknowledgement only
    with stack_sessions() as session:
        mine = session.scalars(select(Complaint).where(Complaint.complainant_email == sender))
        assert len(mine.all()) == 1

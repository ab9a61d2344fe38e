"""Email in: a message to the complaints address becomes a complaint once, a reply becomes
correspondence of its complaint, machines are never answered, nothing is lost."""

from __future__ import annotations

import asyncio
import mailbox
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aioimaplib
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.enums import Channel, EventKind, Locale
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.mail import outbox
from complaints.mail.complainant import acknowledge
from complaints.mail.emails import RenderedEmail
from complaints.mail.inbound import parse, take
from complaints.models import Attachment, Complaint, Event, InboundMessage
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR, Settings
from tests.support.imap import PASSWORD, USER, dovecot
from tests.support.people import complaint_payload
from ui_api.background.inbound import ImapSource, MaildirSource, take_inbound_mail

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
TO = "complaints@localhost"


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        upload_dir=tmp_path / "uploads",
        organization_file=PROJECT_DIR / "samples" / "organization.toml",
    )


def _message(
    *,
    sender: str = "",
    subject: str = "水壶漏水",
    text: str | None = "我的电水壶底部漏水，请处理。",
    html: str | None = None,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"王芳 <{sender or f'wang.{uuid.uuid4().hex[:8]}@example.com'}>"
    message["To"] = TO
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    if html is not None and text:
        message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


def test_a_message_becomes_one_complaint_with_its_photo_in_its_writers_language(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    message = _message()
    message.add_attachment(PNG, maintype="image", subtype="png", filename="leak.png")
    message.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="setup.exe"
    )
    raw = bytes(message)
    settings = _settings(tmp_path)
    with sessions.begin() as session:
        first = take(session, raw, ORG, settings)
    with sessions.begin() as session:
        again = take(session, raw, ORG, settings)  # read again after a restart mid-fetch
    assert (first.outcome, first.new, again.new) == ("complaint", True, False)
    assert again.complaint_id == first.complaint_id
    with sessions() as session:
        complaint = session.get_one(Complaint, first.complaint_id)
        assert complaint.channel is Channel.EMAIL and complaint.locale is Locale.ZH_CN
        assert complaint.description == "我的电水壶底部漏水，请处理。"
        assert complaint.complainant_name == "王芳"
        files = session.scalars(
            select(Attachment.content_type).where(Attachment.complaint_id == complaint.id)
        ).all()
        assert files == ["image/png"]  # the program was not kept, and that is recorded
        refused = session.scalars(
            select(Event.data).where(
                Event.complaint_id == complaint.id, Event.kind == EventKind.FILES_REFUSED.value
            )
        ).one()
        assert refused == {"files": ["setup.exe"]}
    # The acknowledgement says which attachment was not kept, in the writer's language.
    with sessions.begin() as session:
        ack = acknowledge(session, session.get_one(Complaint, first.complaint_id), ORG, settings)
        assert ack is not None and "以下附件未能保存" in ack.body_text
        assert "setup.exe" in ack.body_text and "setup.exe" in ack.body_html
    with sessions() as session:
        assert (
            _count(session, InboundMessage, InboundMessage.message_id == message["Message-ID"]) == 1
        )


def test_html_only_and_message_id_less_mail_is_read_and_taken_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    message = _message(subject="Kettle leaks", text=None, html="<p>It <b>leaks</b>.</p>")
    del message["Message-ID"]
    raw = bytes(message)
    assert parse(raw).text == "It  leaks ." and parse(raw).locale is Locale.EN
    assert parse(raw).message_id == parse(raw).message_id  # a digest of the message
    with sessions.begin() as session:
        assert take(session, raw, ORG, _settings(tmp_path)).new
    with sessions.begin() as session:
        assert not take(session, raw, ORG, _settings(tmp_path)).new


def test_auto_replies_bounces_and_our_own_mail_are_recorded_and_never_answered(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    bounce = _message(sender="MAILER-DAEMON@example.com", subject="Undelivered")
    machines = {
        "auto-submitted": _message(Auto_Submitted="auto-replied"),
        "precedence": _message(Precedence="bulk"),
        "auto-reply": _message(X_Autoreply="yes"),
        "machine sender": bounce,
        "our own mail": _message(sender="complaints@localhost"),
    }
    with sessions.begin() as session:
        before = _count(session, Complaint)
        outcomes = {
            why: take(session, bytes(m), ORG, _settings(tmp_path)).outcome
            for why, m in machines.items()
        }
        ids = [str(m["Message-ID"]) for m in machines.values()]
        rows = session.execute(
            select(InboundMessage.message_id, InboundMessage.reason).where(
                InboundMessage.message_id.in_(ids)
            )
        ).all()
        reasons = {message_id: reason for message_id, reason in rows}
        assert _count(session, Complaint) == before
    assert set(outcomes.values()) == {"ignored"}
    assert {reasons[message_id] for message_id in ids} == set(machines)


def test_replies_become_correspondence_of_their_complaint(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    payload = complaint_payload()
    with sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**payload), ORG)
        sent, _new = outbox.enqueue(
            session,
            dedup_key=f"test:{complaint.id}",
            complaint_id=complaint.id,
            kind="acknowledgement",
            recipient=payload["complainant"]["email"],
            recipient_name="x",
            email=RenderedEmail(subject="s", text="t", html="<p>t</p>"),
        )
        reference, our_id = complaint.reference, sent.message_id
    by_header = _message(
        sender=payload["complainant"]["email"], subject="Re: thanks", In_Reply_To=our_id
    )
    by_subject = _message(
        sender=payload["complainant"]["email"],
        subject=f"Re: 您的投诉 {reference}",
        text="补充：漏水越来越严重。",
    )
    stranger = _message(subject=f"Re: {reference}")  # someone else naming the reference
    with sessions.begin() as session:
        taken = [take(session, bytes(m), ORG, settings) for m in (by_header, by_subject, stranger)]
        letters = session.scalars(
            select(Event.data).where(
                Event.complaint_id == complaint.id,
                Event.kind == EventKind.CORRESPONDENCE_RECEIVED.value,
            )
        ).all()
    assert [t.outcome for t in taken] == ["correspondence", "correspondence", "complaint"]
    assert [t.complaint_id for t in taken[:2]] == [complaint.id, complaint.id]
    assert [d["text"] for d in letters][1] == "补充：漏水越来越严重。"


def test_a_message_without_a_sender_or_a_text_is_kept_for_an_operator(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    empty = _message(subject="", text="")
    anonymous = _message()
    del anonymous["From"]
    kept = {}
    with sessions.begin() as session:
        for why, message in (("empty", empty), ("no sender", anonymous)):
            taken = take(session, bytes(message), ORG, _settings(tmp_path))
            row = session.scalars(
                select(InboundMessage).where(InboundMessage.message_id == message["Message-ID"])
            ).one()
            kept[why] = (taken.outcome, row.reason, row.raw is not None)
    assert kept == {"empty": ("kept", "empty", True), "no sender": ("kept", "no sender", True)}


def test_the_maildir_source_takes_each_message_to_the_address_once_across_restarts(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    box = mailbox.Maildir(str(tmp_path / "mail"), create=True)
    mine = [_message() for _ in range(3)]
    other = _message()
    other.replace_header("To", "someone@example.com")
    for message in [*mine, other]:
        box.add(bytes(message))
    settings = _settings(tmp_path)

    def poll() -> int:  # a new source: a web process started again
        source = MaildirSource(tmp_path / "mail", TO)
        return asyncio.run(take_inbound_mail(source, sessions, settings))

    assert (poll(), poll()) == (3, 0)
    with sessions() as session:
        ids = [m["Message-ID"] for m in [*mine, other]]
        assert _count(session, InboundMessage, InboundMessage.message_id.in_(ids)) == 3


def test_an_imap_mailbox_is_read_once_whatever_stops_midway(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Against a real IMAP server (Dovecot): each message taken once, also when the
    poller recorded a message and stopped before flagging it, and when the server was
    down for a round."""
    with dovecot() as server:
        settings = Settings(
            upload_dir=tmp_path / "uploads",
            organization_file=PROJECT_DIR / "samples" / "organization.toml",
            imap_host="127.0.0.1",
            imap_port=server.port,
            imap_tls=False,
            imap_username=USER,
            imap_password=PASSWORD,  # type: ignore[arg-type]
        )
        source = ImapSource(settings)
        first, second = _message(), _message(Auto_Submitted="auto-replied")
        asyncio.run(_append(server.port, first, second))
        assert asyncio.run(take_inbound_mail(source, sessions, settings)) == 2
        assert asyncio.run(source.unread()) == []  # both flagged \\Seen once taken

        # Recorded, then stopped before the flag: the next round finds it taken.
        third = _message()
        asyncio.run(_append(server.port, third))
        [(_uid, raw)] = asyncio.run(source.unread())
        with sessions.begin() as session:
            take(session, raw, ORG, settings)
        assert asyncio.run(take_inbound_mail(source, sessions, settings)) == 0

        # The server down for a round: the round fails, nothing is lost.
        fourth = _message()
        asyncio.run(_append(server.port, fourth))
        server.stop()
        with pytest.raises(OSError):
            asyncio.run(take_inbound_mail(source, sessions, settings))
        server.start()
        assert asyncio.run(take_inbound_mail(source, sessions, settings)) == 1
    with sessions() as session:
        ids = [m["Message-ID"] for m in (first, second, third, fourth)]
        outcomes = session.scalars(
            select(InboundMessage.outcome).where(InboundMessage.message_id.in_(ids))
        ).all()
    assert sorted(outcomes) == ["complaint", "complaint", "complaint", "ignored"]


async def _append(port: int, *messages: EmailMessage) -> None:
    client = aioimaplib.IMAP4(host="127.0.0.1", port=port, timeout=10)
    await client.wait_hello_from_server()
    await client.login(USER, PASSWORD)
    for message in messages:
        await client.append(bytes(message), mailbox="INBOX")
    await client.logout()

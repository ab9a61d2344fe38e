"""Email in (ISO 10002 7.2: every channel recorded with what supports it): a message sent
to the complaints address becomes a complaint, a reply to one of our emails becomes
correspondence of its complaint, and auto-replies, bounces and our own mail are recorded
and never answered.

Each message is taken exactly once: its Message-ID (or a digest of the message when it has
none) is unique in ``inbound_messages``, written in the same transaction as what the message
became. A source (the IMAP mailbox, the development Maildir) marks a message done only
after that commit, so a restart mid-fetch takes it again and finds it already taken.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import Channel, EventKind, Locale
from complaints.files.uploads import UploadRefused, check_uploads, store_uploads
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.models import Complaint, InboundMessage, OutboxMessage, utcnow
from complaints.organization import Organization
from complaints.settings import Settings

REFERENCE = re.compile(r"\bC-\d{4}-\d{6}\b")
MESSAGE_IDS = re.compile(r"<[^<>\s]+>")
CJK = re.compile(r"[\u3400-\u9fff]")
TAGS = re.compile(r"<[^>]+>")
NOT_STATED = {Locale.EN: "(not stated in the email)", Locale.ZH_CN: "（邮件中未说明）"}
# Senders that are machines, never people to answer (RFC 3834, RFC 3464).
MACHINE_SENDERS = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@")


@dataclass
class Inbound:
    """What a message says, read once."""

    message_id: str
    sender_name: str
    sender: str
    subject: str
    text: str
    replies_to: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    automatic: str | None = None  # why it is an auto-reply or a bounce

    @property
    def locale(self) -> Locale:
        """Guess the writer's language from what they wrote."""
        return Locale.ZH_CN if CJK.search(self.subject + self.text) else Locale.EN


def parse(raw: bytes) -> Inbound:
    """Read a raw RFC 5322 message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        message_id = "<sha256-" + hashlib.sha256(raw).hexdigest() + "@inbound.invalid>"
    replies = MESSAGE_IDS.findall(
        f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
    )
    return Inbound(
        message_id=message_id[:500],
        sender_name=" ".join(name.split())[:200] or address,
        sender=address.lower(),
        subject=" ".join(str(message.get("Subject", "")).split())[:400],
        text=_text(message),
        replies_to=[r.strip() for r in replies if r.strip()],
        files=_files(message),
        automatic=_automatic(message, address.lower()),
    )


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = str(body.get_content())
    if body.get_content_subtype() == "html":
        content = TAGS.sub(" ", content)
    return content.strip()[:10_000]


def _files(message: EmailMessage) -> list[tuple[str, bytes]]:
    files = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            files.append((part.get_filename() or "attachment", data))
    return files


def _automatic(message: EmailMessage, sender: str) -> str | None:
    """Say why a message is an automatic one, never to be answered (None: a person's)."""
    if str(message.get("Auto-Submitted", "no")).lower() != "no":
        return "auto-submitted"
    if str(message.get("Precedence", "")).lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    if message.get("X-Autoreply") or message.get("X-Autorespond") or message.get("List-Id"):
        return "auto-reply"
    if message.get_content_type() == "multipart/report":
        return "bounce"
    if sender.startswith(MACHINE_SENDERS):
        return "machine sender"
    return None


@dataclass(frozen=True)
class Taken:
    """What a message became: its outcome, and the complaint it concerns."""

    outcome: str
    complaint_id: uuid.UUID | None
    new: bool


def take(
    session: Session,
    raw: bytes,
    org: Organization,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> Taken:
    """Take one message (once): a complaint, correspondence, ignored, or kept."""
    now = now or utcnow()
    inbound = parse(raw)
    known = session.scalars(
        select(InboundMessage).where(InboundMessage.message_id == inbound.message_id)
    ).first()
    if known is not None:
        return Taken(known.outcome, known.complaint_id, new=False)
    record = InboundMessage(message_id=inbound.message_id, received_at=now, outcome="kept")
    try:  # claimed first: a second poller stops here, before doing anything
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raise AlreadyTaken(inbound.message_id) from None
    if inbound.automatic or _our_own(session, inbound, settings):
        record.outcome, record.reason = "ignored", inbound.automatic or "our own mail"
    elif (complaint := _replied_to(session, inbound)) is not None:
        record.outcome, record.complaint_id = "correspondence", complaint.id
        _attach(session, complaint, inbound, settings, now)
    elif not inbound.sender or (not inbound.text and not inbound.files):
        record.reason = "no sender" if not inbound.sender else "empty"
        record.raw = raw.decode("utf-8", "replace")
    else:
        try:
            with session.begin_nested():
                record.complaint_id = _file(session, inbound, org, settings, now)
            record.outcome = "complaint"
        except ValidationError:  # no usable address, say: an operator looks at it
            record.reason, record.raw = (
                "not a complaint we can record",
                raw.decode("utf-8", "replace"),
            )
    session.flush()
    return Taken(record.outcome, record.complaint_id, new=True)


class AlreadyTaken(Exception):
    """Another process took the message first: it is done."""


def _our_own(session: Session, inbound: Inbound, settings: Settings) -> bool:
    """Whether the message is our own (sent from our address, or one of our Message-IDs)."""
    _name, ours = parseaddr(settings.mail_from)
    if inbound.sender == ours.lower():
        return True
    return (
        session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.message_id == inbound.message_id)
        ).first()
        is not None
    )


def _replied_to(session: Session, inbound: Inbound) -> Complaint | None:
    """Return the complaint a reply concerns: by our Message-ID it answers, or the
    reference in its subject (from the complainant's own address)."""
    if inbound.replies_to:
        complaint_id = session.scalars(
            select(OutboxMessage.complaint_id).where(
                OutboxMessage.message_id.in_(inbound.replies_to),
                OutboxMessage.complaint_id.is_not(None),
            )
        ).first()
        if complaint_id is not None:
            return session.get(Complaint, complaint_id)
    match = REFERENCE.search(inbound.subject)
    if match is None:
        return None
    return session.scalars(
        select(Complaint).where(
            Complaint.reference == match.group(0),
            Complaint.complainant_email == inbound.sender,
        )
    ).first()


def _attach(
    session: Session, complaint: Complaint, inbound: Inbound, settings: Settings, now: datetime
) -> None:
    """Keep a reply on its complaint's trail (shown in the timeline of its step pages)."""
    kept, refused = _acceptable(inbound.files, settings)
    record_event(
        session,
        complaint.id,
        EventKind.CORRESPONDENCE_RECEIVED,
        actor="complainant",
        channel=Channel.EMAIL.value,
        data={"subject": inbound.subject, "text": inbound.text, "files_refused": refused},
        at=now,
    )
    _store(session, complaint.id, kept, settings)


def _file(
    session: Session, inbound: Inbound, org: Organization, settings: Settings, now: datetime
) -> uuid.UUID:
    locale = inbound.locale
    intake = ComplaintIn.model_validate(
        {
            "complainant": {"name": inbound.sender_name, "email": inbound.sender, "locale": locale},
            "channel": Channel.EMAIL,
            "product": (inbound.subject or NOT_STATED[locale])[:200],
            "description": inbound.text or inbound.subject or NOT_STATED[locale],
            "requested_remedy": NOT_STATED[locale],
        }
    )
    complaint = service.file_complaint(session, intake, org, now=now)
    kept, refused = _acceptable(inbound.files, settings)
    _store(session, complaint.id, kept, settings)
    if refused:
        record_event(
            session,
            complaint.id,
            EventKind.FILES_REFUSED,
            channel=Channel.EMAIL.value,
            data={"files": refused},
            at=now,
        )
    return complaint.id


def _acceptable(
    files: list[tuple[str, bytes]], settings: Settings
) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Split attachments into those the upload rules take and the names of the others."""
    kept: list[tuple[str, bytes]] = []
    refused: list[str] = []
    for name, data in files:
        try:
            check_uploads([*kept, (name, data)], settings)
            kept.append((name, data))
        except UploadRefused:
            refused.append(name[:200])
    return kept, refused


def _store(
    session: Session, complaint_id: uuid.UUID, files: list[tuple[str, bytes]], settings: Settings
) -> None:
    if files:
        store_uploads(
            session,
            complaint_id=complaint_id,
            step_id=None,
            uploaded_by="complainant",
            files=files,
            settings=settings,
            channel=Channel.EMAIL.value,
        )

"""The MIME message of an outbox row: text and HTML, then its attachments.

An outbox row keeps a text attachment (a calendar invitation) whole, and a file stored
with the complaint (its incident report) by id only: the bytes are read, and checked
against their SHA-256, when the message is built for sending.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date

from sqlalchemy.orm import Session

from complaints.files.uploads import AttachmentDamaged, open_attachment, read_checked, stored_path
from complaints.models import Attachment, OutboxMessage, ReviewFile
from complaints.settings import Settings


@dataclass(frozen=True)
class EmailAttachment:
    """A text attachment; a ``text/calendar`` one is sent as a meeting invitation."""

    filename: str
    content_type: str
    text: str

    def __post_init__(self) -> None:
        maintype, _, subtype = media_type(self.content_type).partition("/")
        if not maintype or not subtype:
            raise ValueError(f"not a media type: {self.content_type!r}")


@dataclass(frozen=True)
class StoredAttachment:
    """A file stored with the complaint (e.g. its incident report) or with a review (its
    PDF, its CSV, a chart), attached by reference.

    The outbox row keeps only the id; the bytes are read, and checked against their
    SHA-256, when the message is built for sending. One with a ``content_id`` is shown
    inside the HTML part (``<img src="cid:...">``) instead of offered as a file.
    """

    attachment_id: uuid.UUID
    filename: str
    content_type: str
    content_id: str | None = None

    def __post_init__(self) -> None:
        maintype, _, subtype = media_type(self.content_type).partition("/")
        if not maintype or not subtype:
            raise ValueError(f"not a media type: {self.content_type!r}")


class AttachmentUnavailable(Exception):
    """A stored file an email refers to is missing, altered, or not the complaint's."""


# Reads a stored attachment's bytes by id (raises AttachmentUnavailable).
FileReader = Callable[[uuid.UUID], bytes]


def stored_form(attachment: EmailAttachment | StoredAttachment) -> dict[str, str]:
    """Return the JSON an outbox row keeps of an attachment.

    Text attachments keep their text (the original form, which older rows have);
    stored files keep only their id.
    """
    filename, content_type = one_line(attachment.filename), media_type(attachment.content_type)
    if isinstance(attachment, StoredAttachment):
        stored = {
            "filename": filename,
            "content_type": content_type,
            "attachment_id": str(attachment.attachment_id),
        }
        if attachment.content_id:
            stored["content_id"] = attachment.content_id
        return stored
    return asdict(EmailAttachment(filename, content_type, attachment.text))


def _loaded_form(item: dict[str, str]) -> EmailAttachment | StoredAttachment:
    content_type = media_type(item["content_type"])
    if "attachment_id" in item:
        return StoredAttachment(
            uuid.UUID(item["attachment_id"]),
            item["filename"],
            content_type,
            item.get("content_id"),
        )
    return EmailAttachment(item["filename"], content_type, item["text"])


def stored_file_reader(
    session: Session, settings: Settings, complaint_id: uuid.UUID | None
) -> FileReader:
    """Return a reader of a complaint's stored files (a review's, for an email about no
    complaint), checked against their SHA-256."""

    def read(attachment_id: uuid.UUID) -> bytes:
        if complaint_id is None:
            return _review_file(session, settings, attachment_id)
        attachment = session.get(Attachment, attachment_id)
        # An email about one complaint never carries another complaint's file.
        if attachment is None or attachment.complaint_id != complaint_id:
            raise AttachmentUnavailable(f"attachment {attachment_id} is not the complaint's")
        try:
            return open_attachment(settings, attachment)
        except AttachmentDamaged as exc:
            raise AttachmentUnavailable(str(exc)) from exc

    return read


def _review_file(session: Session, settings: Settings, file_id: uuid.UUID) -> bytes:
    stored = session.get(ReviewFile, file_id)
    if stored is None:
        raise AttachmentUnavailable(f"review file {file_id} is not stored")
    try:
        return read_checked(stored_path(settings, stored.id), stored.size, stored.sha256)
    except AttachmentDamaged as exc:
        raise AttachmentUnavailable(str(exc)) from exc


def one_line(value: str) -> str:
    """Return text fit for a header: no line breaks, whatever the data holds."""
    return " ".join(value.split())


def media_type(content_type: str) -> str:
    """Return the bare, lower-case ``type/subtype`` of a content type (no parameters)."""
    return content_type.split(";", 1)[0].strip().lower()


_METHOD_LINE = re.compile(r"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)


def _calendar_method(text: str) -> str | None:
    found = _METHOD_LINE.search(text)
    return found.group(1).upper() if found else None


def build_message(
    row: OutboxMessage, mail_from: str, *, read_file: FileReader | None = None
) -> EmailMessage:
    """Build the MIME message (text and HTML alternatives, then attachments) for a row.

    A calendar attachment is sent the way Outlook, Thunderbird and Gmail recognise an
    invitation (RFC 6047): a ``text/calendar; method=...`` alternative next to the text
    and HTML, and the same calendar again as an ``invite.ics`` attachment. Stored files
    are read with ``read_file`` (AttachmentUnavailable if it is missing or refuses one).
    """
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(display_name=row.recipient_name, addr_spec=row.recipient)
    message["Subject"] = row.subject
    message["Date"] = rfc2822_date(row.created_at)
    # Stable per outbox row: a receiver can drop a copy a crash made us send twice.
    message["Message-ID"] = row.message_id
    message["X-Complaints-Kind"] = row.kind
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    attachments = [_loaded_form(item) for item in row.attachments or []]
    calendars = [
        a
        for a in attachments
        if isinstance(a, EmailAttachment) and a.content_type == "text/calendar"
    ]
    if calendars:
        # Bytes keep the CRLF line ends RFC 5545 asks for (a str part would get LF).
        params = {"charset": "UTF-8"}
        method = _calendar_method(calendars[0].text)
        if method:
            params["method"] = method
        message.add_alternative(
            calendars[0].text.encode("utf-8"), maintype="text", subtype="calendar", params=params
        )
    for attachment in attachments:
        if isinstance(attachment, EmailAttachment):
            _attach(message, attachment)
            continue
        if read_file is None:
            raise AttachmentUnavailable(f"no reader for stored {attachment.attachment_id}")
        data = read_file(attachment.attachment_id)
        if attachment.content_id:
            _inline(message, attachment, data)
        else:
            _attach_bytes(message, attachment, data)
    return message


def _inline(message: EmailMessage, attachment: StoredAttachment, data: bytes) -> None:
    """Put an image inside the HTML part (multipart/related), where ``cid:`` finds it."""
    # The first image turns the HTML part into a multipart/related; the next join it.
    types = ("multipart/related", "text/html")
    html = min(
        (part for part in message.walk() if part.get_content_type() in types),
        key=lambda part: types.index(part.get_content_type()),
    )
    maintype, _, subtype = attachment.content_type.partition("/")
    html.add_related(
        data,
        maintype=maintype,
        subtype=subtype,
        cid=f"<{attachment.content_id}>",
        filename=attachment.filename,
        disposition="inline",
    )


def _attach_bytes(message: EmailMessage, attachment: StoredAttachment, data: bytes) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    message.add_attachment(
        data,
        maintype=maintype,
        subtype=subtype,
        filename=attachment.filename,
        params={"name": attachment.filename},  # older clients read the name from here
    )


def _attach(message: EmailMessage, attachment: EmailAttachment) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    if attachment.content_type == "text/calendar":
        # As Gmail sends it: clients that ignore the alternative still offer the file.
        maintype, subtype = "application", "ics"
    if maintype == "text":
        message.add_attachment(attachment.text, subtype=subtype, filename=attachment.filename)
        return
    message.add_attachment(
        attachment.text.encode("utf-8"),
        maintype=maintype,
        subtype=subtype,
        filename=attachment.filename,
        params={"name": attachment.filename},  # older clients read the name from here
    )

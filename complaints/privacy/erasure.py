"""Erasing one complainant's personal data across everything we hold, keeping what the
reviews count (reference, dates, product, category, grade, cause, actions, outcomes)."""

from __future__ import annotations

import contextlib
import mailbox
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from complaints.audit import SYSTEM, erase
from complaints.enums import OutboxStatus, Stage
from complaints.files.uploads import stored_path
from complaints.models import (
    Attachment,
    Classification,
    Complaint,
    Event,
    LinkToken,
    OutboxMessage,
    Step,
)
from complaints.privacy.closing import close_to_erase, forget_run
from complaints.privacy.exports import forget_exports
from complaints.privacy.personal import (
    erasable,
    erasable_fields,
    erased_texts,
    mentions,
    personal_strings,
    scrub,
)
from complaints.seals import CLIENT_ADDR, ERASED, sealable
from complaints.settings import Settings

COMPLAINANT = "complainant"
# Why an erasure happened, in its audit event.
ON_REQUEST = "request"
RETENTION = "retention"


class ErasureRefused(Exception):
    """An erasure that may not happen (yet): the complaint is still open."""


@dataclass
class Erased:
    """What an erasure did, in counts only (they may go to Prefect and the leads)."""

    complaints: int = 0
    texts: int = 0
    files: int = 0
    emails: int = 0
    links: int = 0
    references: list[str] = field(default_factory=list)
    # Removed only once the erasure is committed (never for a rolled-back one).
    paths: list[Path] = field(default_factory=list, repr=False)
    message_ids: set[str] = field(default_factory=set, repr=False)

    def add(self, other: Erased) -> None:
        """Add another erasure's counts to these."""
        self.complaints += other.complaints
        self.texts += other.texts
        self.files += other.files
        self.emails += other.emails
        self.links += other.links
        self.references += other.references
        self.paths += other.paths
        self.message_ids |= other.message_ids

    def remove_after_commit(self, settings: Settings) -> None:
        """Delete the erased files and the development mailbox's copies of the emails."""
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        _forget_dev_mail(settings, self.message_ids)


def complaints_of(
    session: Session, *, email: str | None = None, reference: str | None = None
) -> Sequence[Complaint]:
    """Return a complainant's complaints not erased yet, by email address or by reference."""
    query = select(Complaint).where(Complaint.erased_at.is_(None)).order_by(Complaint.received_at)
    if email is not None:
        query = query.where(func.lower(Complaint.complainant_email) == email.strip().lower())
    elif reference is not None:
        query = query.where(Complaint.reference == reference.strip())
    else:
        return []
    return session.scalars(query).all()


def _scrub_complaint(complaint: Complaint) -> set[str]:
    texts = {
        complaint.complainant_name,
        complaint.complainant_email,
        complaint.complainant_phone or "",
        complaint.description,
        complaint.requested_remedy,
    }
    complaint.complainant_name = ERASED
    complaint.complainant_email = ERASED
    complaint.complainant_phone = None
    complaint.description = ERASED
    complaint.requested_remedy = ERASED
    return {t for t in texts if t}


def _scrub_steps(session: Session, complaint: Complaint, strings: set[str]) -> set[str]:
    erased: set[str] = set()
    for step in session.scalars(select(Step).where(Step.complaint_id == complaint.id)):
        if step.decision:
            scrubbed = scrub(step.decision, strings, erasable_fields(step.kind))
            erased |= erased_texts(step.decision, scrubbed)
            step.decision = scrubbed
        scrubbed_details = scrub(step.details or {}, strings)
        erased |= erased_texts(step.details or {}, scrubbed_details)
        step.details = scrubbed_details
    for row in session.scalars(
        select(Classification).where(Classification.complaint_id == complaint.id)
    ):
        if mentions(row.reason, strings):
            erased.add(row.reason)
            row.reason = ERASED
    return erased


def _scrub_outbox(session: Session, complaint_id: object, address: str, strings: set[str]) -> int:
    count = 0
    for message in session.scalars(
        select(OutboxMessage).where(OutboxMessage.complaint_id == complaint_id)
    ):
        theirs = message.recipient.lower() == address.lower()
        if theirs:
            message.recipient = ERASED
            message.recipient_name = ERASED
            if message.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                message.status = OutboxStatus.FAILED
                message.last_error = "personal data erased before it was sent"
        # Every email about the complaint keeps its subject (the reference) and its
        # headers; its bodies carried the complaint, and links that are dead now.
        message.body_text = ERASED
        message.body_html = ERASED
        if mentions(message.subject, strings):
            message.subject = ERASED
        message.attachments = [
            {**a, "text": ERASED} if "text" in a else a for a in message.attachments
        ]
        count += 1
    return count


def _files_to_remove(session: Session, complaint_id: object, settings: Settings) -> list[Path]:
    removed = []
    for attachment in session.scalars(
        select(Attachment).where(Attachment.complaint_id == complaint_id)
    ):
        # The complainant's uploads and the reports we made of the record; the staff's
        # evidence of their actions stays until its own retention ends.
        if attachment.uploaded_by not in (COMPLAINANT, SYSTEM):
            continue
        path = stored_path(settings, attachment.id)
        if path.exists():
            removed.append(path)
        if attachment.uploaded_by == COMPLAINANT:
            attachment.filename = ERASED
    return removed


def _forget_dev_mail(settings: Settings, message_ids: set[str]) -> None:
    # The development mailbox keeps copies of what was sent (make run); a Maildir is there
    # only where one runs, so production with its own SMTP server has nothing here.
    folder = settings.mailbox_dir
    if not (folder / "cur").is_dir() or not message_ids:
        return
    box = mailbox.Maildir(str(folder), create=False)
    for key in list(box.iterkeys()):
        with contextlib.suppress(KeyError, FileNotFoundError):
            if str(box[key]["Message-ID"] or "").strip() in message_ids:
                box.remove(key)


def _texts_to_erase(event: Event, texts: set[str], strings: set[str]) -> list[str]:
    chosen = []
    for pointer, text in sealable(event.actor, event.client_addr, event.data or {}).items():
        theirs = pointer == CLIENT_ADDR and event.actor == COMPLAINANT
        if theirs or (erasable(text) and (text in texts or mentions(text, strings))):
            chosen.append(pointer)
    return chosen


def _erase_holdings(
    session: Session, complaint: Complaint, settings: Settings
) -> tuple[Erased, set[str], set[str]]:
    """Erase the complaint's personal data outside its audit trail; return what was done,
    the texts erased and the complainant's identifying texts (for the trail)."""
    strings = personal_strings(complaint)
    address = complaint.complainant_email
    texts = _scrub_complaint(complaint) | _scrub_steps(session, complaint, strings)
    message_ids = set(
        session.scalars(
            select(OutboxMessage.message_id).where(OutboxMessage.complaint_id == complaint.id)
        )
    )
    emails = _scrub_outbox(session, complaint.id, address, strings)
    files = _files_to_remove(session, complaint.id, settings)
    links = session.execute(
        delete(LinkToken).where(
            LinkToken.step_id.in_(select(Step.id).where(Step.complaint_id == complaint.id))
        )
    )
    exports = forget_exports(session, complaint.id, settings)
    done = Erased(
        complaints=1,
        files=len(files),
        emails=emails,
        links=int(getattr(links, "rowcount", 0) or 0),
        references=[complaint.reference],
        paths=files + exports,
        message_ids=message_ids,
    )
    return done, texts, strings


def erase_complaint(
    session: Session,
    complaint: Complaint,
    *,
    by: str,
    reason: str,
    settings: Settings,
    now: datetime,
    trigger: str = ON_REQUEST,
    close_open: bool = False,
) -> Erased:
    """Erase a closed complaint's personal data everywhere we hold it; record who, why.

    Raises ErasureRefused for an open complaint, unless ``close_open``: then it is
    closed first, with the reason (ISO 10002 7.9). Its run is then cancelled if it still
    waits, and what Prefect stored of its answers deleted, by the web app. The caller
    commits, then calls ``remove_after_commit``.
    """
    if complaint.stage is not Stage.CLOSED:
        if not close_open:
            raise ErasureRefused(complaint.reference)
        close_to_erase(session, complaint, by=by, reason=reason, now=now)
    if complaint.erased_at is not None:
        return Erased()
    done, texts, strings = _erase_holdings(session, complaint, settings)
    done.texts = erase(
        session,
        complaint.id,
        lambda event: _texts_to_erase(event, texts, strings),
        by=by,
        reason=reason,
        trigger=trigger,
        at=now,
        always=True,
    )
    complaint.erased_at = now
    forget_run(complaint)
    session.flush()
    return done

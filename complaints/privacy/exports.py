"""Everything we hold about one complainant, as a ZIP for them (the access right of PIPL
and the GDPR), behind a single-use link that expires; only the link's hash is stored."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind
from complaints.files.uploads import AttachmentDamaged, open_attachment, write_whole
from complaints.models import Attachment, Complaint, DataExport, Event, OutboxMessage, Step
from complaints.settings import Settings
from complaints.tokens import hash_token, new_token

COMPLAINANT = "complainant"


def export_path(settings: Settings, export_id: uuid.UUID) -> Path:
    """Return where an export's ZIP is kept until it is fetched or expires."""
    return settings.upload_dir / "exports" / f"{export_id}.zip"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _complaint(complaint: Complaint) -> dict[str, Any]:
    return {
        "reference": complaint.reference,
        "received_at": _iso(complaint.received_at),
        "channel": complaint.channel.value,
        "product": complaint.product,
        "description": complaint.description,
        "requested_remedy": complaint.requested_remedy,
        "occurred_at": _iso(complaint.occurred_at),
        "stage": complaint.stage.value,
        "resolution": complaint.resolution.value if complaint.resolution else None,
        "closed_at": _iso(complaint.closed_at),
    }


def _their_steps(session: Session, complaint: Complaint) -> list[dict[str, Any]]:
    steps = session.scalars(
        select(Step)
        .where(Step.complaint_id == complaint.id, Step.assignee == COMPLAINANT)
        .order_by(Step.opened_at)
    )
    return [
        {
            "kind": s.kind.value,
            "opened_at": _iso(s.opened_at),
            "decided_at": _iso(s.decided_at),
            "decision": s.decision,
        }
        for s in steps
    ]


def _their_events(session: Session, complaint: Complaint) -> list[dict[str, Any]]:
    events = session.scalars(
        select(Event)
        .where(Event.complaint_id == complaint.id, Event.actor == COMPLAINANT)
        .order_by(Event.seq)
    )
    return [
        {"at": _iso(e.at), "kind": e.kind, "channel": e.channel, "client_addr": e.client_addr}
        for e in events
    ]


def _write_complaint(
    archive: zipfile.ZipFile, session: Session, complaint: Complaint, settings: Settings
) -> None:
    folder = f"complaints/{complaint.reference}"
    record = {
        "complaint": _complaint(complaint),
        "your_answers": _their_steps(session, complaint),
        "your_actions_recorded": _their_events(session, complaint),
    }
    archive.writestr(f"{folder}/record.json", json.dumps(record, ensure_ascii=False, indent=2))
    emails = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.complaint_id == complaint.id,
            OutboxMessage.recipient == complaint.complainant_email,
        )
        .order_by(OutboxMessage.created_at)
    )
    for number, message in enumerate(emails, start=1):
        stem = f"{folder}/emails/{number:03d}-{message.kind}"
        archive.writestr(f"{stem}.txt", f"Subject: {message.subject}\n\n{message.body_text}")
        archive.writestr(f"{stem}.html", message.body_html)
    files = session.scalars(
        select(Attachment).where(
            Attachment.complaint_id == complaint.id, Attachment.uploaded_by == COMPLAINANT
        )
    )
    for attachment in files:
        try:
            data = open_attachment(settings, attachment)
        except AttachmentDamaged:
            continue
        archive.writestr(f"{folder}/files/{attachment.id}-{attachment.filename}", data)


def build_archive(session: Session, complaints: Sequence[Complaint], settings: Settings) -> bytes:
    """Return the ZIP of everything held about a complainant's complaints."""
    first = complaints[0]
    person = {
        "name": first.complainant_name,
        "email": first.complainant_email,
        "phone": first.complainant_phone,
        "locale": first.locale.value,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("complainant.json", json.dumps(person, ensure_ascii=False, indent=2))
        for complaint in complaints:
            _write_complaint(archive, session, complaint, settings)
    return buffer.getvalue()


@dataclass(frozen=True)
class ExportLink:
    """A made export: the link's token (shown once) and the record."""

    token: str
    export: DataExport


def make_export(
    session: Session,
    complaints: Sequence[Complaint],
    *,
    by: str,
    settings: Settings,
    now: datetime,
) -> ExportLink:
    """Build and keep a complainant's export behind a new single-use link; record it."""
    data = build_archive(session, complaints, settings)
    token = new_token()
    export = DataExport(
        id=uuid.uuid4(),
        token_hash=hash_token(token, settings.secret_key.get_secret_value()),
        complaint_ids=[str(c.id) for c in complaints],
        requested_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.export_link_hours),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    write_whole(export_path(settings, export.id), data)
    session.add(export)
    for complaint in complaints:
        record_event(
            session,
            complaint.id,
            EventKind.PERSONAL_DATA_EXPORTED,
            actor=by,
            data={"export_id": str(export.id)},
            at=now,
        )
    session.flush()
    return ExportLink(token, export)


def find_export(
    session: Session, token: str, settings: Settings, now: datetime
) -> DataExport | None:
    """Return the live (unused, unexpired) export a link stands for, or None."""
    export = session.scalars(
        select(DataExport).where(
            DataExport.token_hash == hash_token(token, settings.secret_key.get_secret_value())
        )
    ).first()
    if export is None or export.used_at is not None or export.expires_at <= now:
        return None
    return export


def take_export(session: Session, export: DataExport, settings: Settings, now: datetime) -> bytes:
    """Return an export's ZIP once: the link is used up and the file goes after commit."""
    path = export_path(settings, export.id)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != export.sha256:
        raise AttachmentDamaged(f"{path.name} was altered after it was stored")
    export.used_at = now
    session.flush()
    return data


def stale_export_files(session: Session, settings: Settings, now: datetime) -> list[Path]:
    """Return the files of exports used or expired (to delete after commit)."""
    rows = session.scalars(
        select(DataExport).where((DataExport.used_at.is_not(None)) | (DataExport.expires_at <= now))
    )
    return [p for p in (export_path(settings, r.id) for r in rows) if p.exists()]


def forget_exports(session: Session, complaint_id: uuid.UUID, settings: Settings) -> list[Path]:
    """Drop the exports that hold a complaint; return their files (to delete after commit)."""
    paths = []
    for export in session.scalars(select(DataExport)).all():
        if str(complaint_id) in export.complaint_ids:
            paths.append(export_path(settings, export.id))
            session.delete(export)
    return paths

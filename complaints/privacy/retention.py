"""Personal data kept no longer than the organization file says (PIPL, GDPR: no longer
than the purpose needs): erased after closure, uploads and IP addresses sooner."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from complaints.audit import SYSTEM, erase
from complaints.enums import Stage
from complaints.files.uploads import stored_path
from complaints.models import Attachment, Complaint, DataExport, Event, InboundMessage
from complaints.organization import Organization
from complaints.privacy.erasure import RETENTION, Erased, erase_complaint
from complaints.privacy.exports import export_path
from complaints.seals import CLIENT_ADDR
from complaints.settings import Settings


@dataclass
class RetentionCounts:
    """What one pass of retention did: counts only (they go to Prefect and the leads)."""

    complaints: int = 0
    texts: int = 0
    files: int = 0
    addresses: int = 0
    exports: int = 0

    def add(self, other: RetentionCounts) -> None:
        """Add another pass's counts to these."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


@dataclass
class RetentionBatch:
    """A batch's counts and the files to delete once it is committed."""

    counts: RetentionCounts
    erased: Erased


def _expired_complaints(session: Session, org: Organization, as_of: datetime) -> list[Complaint]:
    cutoff = as_of - timedelta(days=org.privacy.keep_personal_data_days)
    return list(
        session.scalars(
            select(Complaint)
            .where(
                Complaint.stage == Stage.CLOSED,
                Complaint.erased_at.is_(None),
                Complaint.closed_at <= cutoff,
            )
            .order_by(Complaint.closed_at)
            .limit(org.privacy.batch)
        )
    )


def _expired_uploads(
    session: Session, org: Organization, settings: Settings, as_of: datetime
) -> list[Path]:
    cutoff = as_of - timedelta(days=org.privacy.keep_uploads_days)
    rows = session.scalars(
        select(Attachment)
        .join(Complaint, Complaint.id == Attachment.complaint_id)
        .where(
            Complaint.stage == Stage.CLOSED,
            Complaint.closed_at <= cutoff,
            Attachment.uploaded_by != SYSTEM,
        )
    )
    paths = (stored_path(settings, a.id) for a in rows)
    return [p for p in paths if p.exists()]


def _expired_addresses(session: Session, org: Organization, as_of: datetime) -> int:
    cutoff = as_of - timedelta(days=org.privacy.keep_personal_data_days)
    chains = session.scalars(
        select(Event.complaint_id)
        .where(Event.client_addr.is_not(None), Event.at <= cutoff)
        .distinct()
        .limit(org.privacy.batch)
    ).all()
    erased = 0
    for complaint_id in chains:
        erased += erase(
            session,
            complaint_id,
            lambda e: [CLIENT_ADDR] if e.client_addr is not None and e.at <= cutoff else [],
            by=SYSTEM,
            reason=f"IP addresses kept {org.privacy.keep_personal_data_days} days",
            trigger=RETENTION,
            at=as_of,
        )
    return erased


def _expired_raw_mail(session: Session, org: Organization, as_of: datetime) -> int:
    """Forget the raw message of mail kept for an operator (no sender, or empty) once it
    is older than personal data is kept: nothing else holds it, so nothing else erases it."""
    cutoff = as_of - timedelta(days=org.privacy.keep_personal_data_days)
    ids = session.scalars(
        select(InboundMessage.id)
        .where(InboundMessage.raw.is_not(None), InboundMessage.received_at <= cutoff)
        .limit(org.privacy.batch)
    ).all()
    if ids:
        session.execute(update(InboundMessage).where(InboundMessage.id.in_(ids)).values(raw=None))
    return len(ids)


def _stale_exports(session: Session, settings: Settings, as_of: datetime) -> list[Path]:
    rows = session.scalars(
        select(DataExport).where(DataExport.used_at.is_not(None) | (DataExport.expires_at <= as_of))
    ).all()
    paths = [p for p in (export_path(settings, r.id) for r in rows) if p.exists()]
    for row in rows:
        session.delete(row)
    return paths


def retention_batch(
    session: Session, org: Organization, settings: Settings, *, as_of: datetime
) -> RetentionBatch:
    """Erase one batch of what has expired as of a moment; an empty batch means done.

    Each part only finds what is still there, so a repeated pass does nothing.
    """
    erased = Erased()
    for complaint in _expired_complaints(session, org, as_of):
        days = org.privacy.keep_personal_data_days
        erased.add(
            erase_complaint(
                session,
                complaint,
                by=SYSTEM,
                reason=f"kept {days} days after closure",
                settings=settings,
                now=as_of,
                trigger=RETENTION,
            )
        )
    uploads = [p for p in _expired_uploads(session, org, settings, as_of) if p not in erased.paths][
        : org.privacy.batch
    ]
    exports = _stale_exports(session, settings, as_of)
    erased.paths += uploads + exports
    counts = RetentionCounts(
        complaints=erased.complaints,
        texts=erased.texts + _expired_raw_mail(session, org, as_of),
        files=erased.files + len(uploads),
        addresses=_expired_addresses(session, org, as_of),
        exports=len(exports),
    )
    session.flush()
    return RetentionBatch(counts, erased)

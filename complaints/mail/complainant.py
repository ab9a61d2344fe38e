"""What the complainant is told outside a step: the acknowledgement, the outcome when it
is not ours, and news of the handling (ISO 10002 7.3, 7.4)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.deadlines.schedule import contain_by, next_commitment
from complaints.enums import EmailKind, EventKind
from complaints.mail.addresses import COMPLAINANT, addressee, status_url
from complaints.mail.compose import addressed, queue_email
from complaints.mail.contexts import (
    AcknowledgementContext,
    NotOursExplanationContext,
    StatusUpdateContext,
)
from complaints.mail.emails import EmailContext
from complaints.models import Complaint, Event, OutboxMessage
from complaints.organization import Organization
from complaints.settings import Settings


def acknowledge(
    session: Session, complaint: Complaint, org: Organization, settings: Settings
) -> OutboxMessage | None:
    """Queue the complainant's acknowledgement (once); None when it is withheld.

    Nobody can make us mail an address at a rate they choose: an address that had
    ``acknowledgements_per_address_per_hour`` acknowledgements since the hour before this
    complaint arrived gets no more (the complaint is recorded all the same, and the
    withholding is in its trail, so a replay decides the same).
    """
    if _withheld(session, complaint, settings):
        return None
    context = AcknowledgementContext(
        **addressed(complaint, complaint.complainant_name, org),
        received_at=complaint.received_at,
        contain_by=contain_by(complaint, org),
        status_url=status_url(settings, complaint),
        files_refused=_files_refused(session, complaint),
    )
    message, _new = to_complainant(session, complaint, org, context)
    return message


def _files_refused(session: Session, complaint: Complaint) -> list[str]:
    """Return the names of the attachments of an emailed complaint that were not kept."""
    refused = session.scalars(
        select(Event.data).where(
            Event.complaint_id == complaint.id, Event.kind == EventKind.FILES_REFUSED.value
        )
    ).all()
    return [str(name) for data in refused for name in (data or {}).get("files", [])]


def _withheld(session: Session, complaint: Complaint, settings: Settings) -> bool:
    """Whether this complaint's acknowledgement is withheld (decided once, recorded)."""
    kinds = session.scalars(
        select(Event.kind).where(
            Event.complaint_id == complaint.id,
            Event.kind == EventKind.ACKNOWLEDGEMENT_WITHHELD.value,
        )
    ).first()
    if kinds is not None:
        return True
    acknowledgements = select(func.count()).where(
        OutboxMessage.kind == EmailKind.ACKNOWLEDGEMENT.value,
        OutboxMessage.recipient == complaint.complainant_email,
    )
    mine = session.scalar(acknowledgements.where(OutboxMessage.complaint_id == complaint.id))
    if mine:
        return False
    lately = session.scalar(
        acknowledgements.where(
            OutboxMessage.created_at > complaint.received_at - timedelta(hours=1)
        )
    )
    if (lately or 0) < settings.acknowledgements_per_address_per_hour:
        return False
    record_event(
        session,
        complaint.id,
        EventKind.ACKNOWLEDGEMENT_WITHHELD,
        data={"limit": settings.acknowledgements_per_address_per_hour},
    )
    return True


def explain_not_ours(
    session: Session,
    complaint: Complaint,
    explanation: str,
    org: Organization,
    settings: Settings,
) -> tuple[OutboxMessage, bool]:
    """Queue the explanation that the problem is not ours (once)."""
    context = NotOursExplanationContext(
        **addressed(complaint, complaint.complainant_name, org),
        explanation=explanation,
        status_url=status_url(settings, complaint),
    )
    return to_complainant(session, complaint, org, context)


def tell_progress(
    session: Session,
    complaint: Complaint,
    org: Organization,
    settings: Settings,
    *,
    occasion: str,
    periodic: bool = False,
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    """Queue a status email to the complainant (once per occasion), at ``now`` (the
    clock of the decision that sends it; the wall clock by default)."""
    context = StatusUpdateContext(
        **addressed(complaint, complaint.complainant_name, org),
        stage=complaint.stage.value,
        next_due=next_commitment(complaint, org),
        status_url=status_url(settings, complaint),
        periodic=periodic,
    )
    return to_complainant(session, complaint, org, context, occasion=occasion, now=now)


def to_complainant(
    session: Session,
    complaint: Complaint,
    org: Organization,
    context: EmailContext,
    *,
    occasion: str = "complainant",
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    """Queue an email to the complainant (once per occasion and kind)."""
    complainant = addressee(org, complaint, COMPLAINANT)
    return queue_email(session, complaint, occasion, complainant, org, context, now=now)

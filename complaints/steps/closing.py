"""Closing a handled complaint (ISO 10002 7.9): its final record, the complainant told,
and the quality leads each given a link to reopen it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from complaints.enums import LinkAction, Resolution, StepKind
from complaints.intake import service
from complaints.mail import outbox
from complaints.mail.addresses import link_url
from complaints.mail.complainant import tell_progress
from complaints.mail.compose import addressed, dedup_key, queue_email
from complaints.mail.contexts import ClosingNoticeContext
from complaints.models import Complaint, OutboxMessage, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.history import final_record
from complaints.steps.notices import new_link


def close_handled(
    session: Session,
    complaint: Complaint,
    resolution: Resolution,
    *,
    closings: int,
    org: Organization,
    settings: Settings,
) -> list[uuid.UUID]:
    """Close a handled complaint with its final record; tell the complainant, and give
    the quality leads a link to reopen it. ``closings`` counts earlier closings (a
    reopened complaint closes again); returns the ids of the queued emails."""
    service.close(session, complaint.id, resolution, final_record(complaint))
    occasion = f"closed-{closings}"
    told, _new = tell_progress(session, complaint, org, settings, occasion=occasion)
    notices = closing_notice(session, complaint, occasion, org, settings)
    return [told.id, *(m.id for m in notices)]


def closing_notice(
    session: Session,
    complaint: Complaint,
    occasion: str,
    org: Organization,
    settings: Settings,
) -> list[OutboxMessage]:
    """Tell the quality leads the complaint is closed, each with a link to reopen it.

    The link belongs to the step that closed it (the last effectiveness check).
    """
    closing = [s for s in complaint.steps if s.kind is StepKind.EFFECTIVENESS and s.decision]
    assert closing, "a handled complaint closes after an effectiveness check"
    messages = []
    for key in org.quality_leads:
        person = org.person(key)
        if outbox.exists(session, dedup_key(complaint, occasion, key, ClosingNoticeContext.kind)):
            continue  # its link was issued with it, and only its hash kept
        token = new_link(
            session,
            closing[-1],
            key,
            settings,
            actions=(LinkAction.REOPEN,),
            grace=timedelta(days=settings.reopen_link_days),
        )
        context = ClosingNoticeContext(
            **addressed(complaint, person.name, org),
            resolution=complaint.resolution.value if complaint.resolution else "",
            closed_at=complaint.closed_at or utcnow(),
            reopen_url=link_url(settings, token),
        )
        messages.append(queue_email(session, complaint, occasion, person, org, context)[0])
    return messages

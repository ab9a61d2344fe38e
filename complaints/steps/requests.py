"""The email that asks a step's assignee to act, with the step's link: built by the step
kind's spec from the fields every request shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from complaints.mail.addresses import addressee, link_url
from complaints.mail.compose import addressed, queue_email
from complaints.models import Complaint, OutboxMessage, Step
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue import spec_of
from complaints.steps.catalogue.spec import Request, Source


def request_step(
    session: Session,
    complaint: Complaint,
    step: Step,
    token: str,
    org: Organization,
    settings: Settings,
    *,
    reassigned: bool = False,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue the email that asks a step's assignee to act, with the step's link.

    ``reassigned``: a quality lead gave the action to this owner (again, maybe: each
    reassignment is an email of its own).
    """
    spec = spec_of(step.kind)
    person = addressee(org, complaint, step.assignee)
    details = spec.details_of(step)
    assert step.due_at is not None
    common = {
        **addressed(complaint, person.name, org),
        "due_at": step.due_at,
        "link_url": link_url(settings, token),
    }
    source = Source(session, complaint, org)
    context = spec.request(Request(source, step, details, settings, common, reassigned))
    occasion = f"{step.key}:{person.key}"
    if reassigned:
        occasion = f"{step.key}:reassigned-{step.details.get('reassigned', 0)}"
    return queue_email(session, complaint, occasion, person, org, context, now=now)[0]

"""Who is told what: composes each email and queues it in the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from complaints import outbox
from complaints.emails import (
    AcknowledgementContext,
    AssessmentRequestContext,
    ContainmentRequestContext,
    EmailContext,
    EscalationContext,
    NotOursExplanationContext,
    ReminderContext,
    render_email,
)
from complaints.enums import EmailKind, Locale, StepKind
from complaints.models import Complaint, OutboxMessage, Step
from complaints.organization import Organization, Person
from complaints.settings import Settings
from complaints.steps import DUE_AFTER_RECEIPT, issue_token
from complaints.tokens import sign_status

if TYPE_CHECKING:
    from complaints.deadlines import Notice


def status_url(settings: Settings, complaint: Complaint) -> str:
    """Return the complainant's login-free status page."""
    signed = sign_status(complaint.id, settings.secret_key.get_secret_value())
    return f"{settings.public_url.rstrip('/')}/status/{signed}"


def link_url(settings: Settings, token: str) -> str:
    """Return the page a step link opens."""
    return f"{settings.public_url.rstrip('/')}/s/{token}"


def acknowledge(
    session: Session, complaint: Complaint, org: Organization, settings: Settings
) -> tuple[OutboxMessage, bool]:
    """Queue the complainant's acknowledgement (once); return whether it was queued now."""
    context = AcknowledgementContext(
        reference=complaint.reference,
        recipient_name=complaint.complainant_name,
        organization=org.name,
        product=complaint.product,
        received_at=complaint.received_at,
        contain_by=complaint.received_at + DUE_AFTER_RECEIPT[StepKind.CONTAINMENT],
        status_url=status_url(settings, complaint),
    )
    return _to_complainant(session, complaint, org, EmailKind.ACKNOWLEDGEMENT, context)


def explain_not_ours(
    session: Session,
    complaint: Complaint,
    explanation: str,
    org: Organization,
    settings: Settings,
) -> tuple[OutboxMessage, bool]:
    """Queue the explanation that the problem is not ours (once)."""
    context = NotOursExplanationContext(
        reference=complaint.reference,
        recipient_name=complaint.complainant_name,
        organization=org.name,
        product=complaint.product,
        explanation=explanation,
        status_url=status_url(settings, complaint),
    )
    return _to_complainant(session, complaint, org, EmailKind.NOT_OURS_EXPLANATION, context)


def request_step(
    session: Session,
    complaint: Complaint,
    step: Step,
    token: str,
    org: Organization,
    settings: Settings,
) -> OutboxMessage:
    """Queue the email that asks a step's assignee to act, with the step's link."""
    person = org.person(step.assignee)
    assert step.due_at is not None
    context: EmailContext
    if step.kind is StepKind.ASSESSMENT:
        context = AssessmentRequestContext(
            reference=complaint.reference,
            recipient_name=person.name,
            organization=org.name,
            product=complaint.product,
            description=complaint.description,
            requested_remedy=complaint.requested_remedy,
            received_at=complaint.received_at,
            due_at=step.due_at,
            link_url=link_url(settings, token),
        )
        kind = EmailKind.ASSESSMENT_REQUEST
    else:
        context = ContainmentRequestContext(
            reference=complaint.reference,
            recipient_name=person.name,
            organization=org.name,
            product=complaint.product,
            grade=(complaint.grade.value if complaint.grade else ""),
            due_at=step.due_at,
            link_url=link_url(settings, token),
        )
        kind = EmailKind.CONTAINMENT_REQUEST
    return _enqueue(session, complaint, f"{step.key}:{person.key}", kind, person, org, context)[0]


def give_notice(
    session: Session,
    step: Step,
    notice: Notice,
    org: Organization,
    settings: Settings,
) -> list[OutboxMessage]:
    """Queue a reminder (to the step's owner) or an escalation (to the ladder's people).

    Each carries a fresh link to the step: links are stored only as hashes, so an earlier
    one cannot be sent again, and an escalated person may act on the step themselves.
    """
    complaint = step.complaint
    assert step.due_at is not None
    owner = org.person(step.assignee)
    messages = []
    for key in notice.people:
        person = org.person(key)
        token = issue_token(
            session,
            step,
            recipient=key,
            secret=settings.secret_key.get_secret_value(),
            grace=timedelta(hours=settings.link_grace_hours),
        )
        reminder = ReminderContext(
            reference=complaint.reference,
            recipient_name=person.name,
            organization=org.name,
            step_name=f"step.{step.kind.value}",
            due_at=step.due_at,
            link_url=link_url(settings, token),
        )
        context: EmailContext = reminder
        kind = EmailKind.REMINDER
        if notice.kind == "escalation":
            context = EscalationContext(
                **reminder.model_dump(), owner_name=owner.name, level=notice.level
            )
            kind = EmailKind.ESCALATION
        occasion = f"{step.key}:{notice.key}"
        messages.append(_enqueue(session, complaint, occasion, kind, person, org, context)[0])
    return messages


def _to_complainant(
    session: Session,
    complaint: Complaint,
    org: Organization,
    kind: EmailKind,
    context: EmailContext,
) -> tuple[OutboxMessage, bool]:
    complainant = Person(
        key="complainant",
        name=complaint.complainant_name,
        email=complaint.complainant_email,
        locale=complaint.locale,
    )
    return _enqueue(session, complaint, "complainant", kind, complainant, org, context)


def _enqueue(
    session: Session,
    complaint: Complaint,
    occasion: str,
    kind: EmailKind,
    person: Person,
    org: Organization,
    context: EmailContext,
) -> tuple[OutboxMessage, bool]:
    email = render_email(kind, context, locale=Locale(person.locale), zone=org.zone_of(person))
    return outbox.enqueue(
        session,
        dedup_key=f"{complaint.id}:{occasion}:{person.key}:{kind.value}",
        complaint_id=complaint.id,
        kind=kind.value,
        recipient=str(person.email),
        recipient_name=person.name,
        email=email,
    )

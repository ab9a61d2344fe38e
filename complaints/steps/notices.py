"""What a step's people are told besides its request: reminders and escalations as its
due time nears and passes, how the complainant decided on the answer, and that the
complaint is closed (each with a fresh link where they may act)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from complaints.deadlines.schedule import Notice
from complaints.enums import LinkAction, NoticeKind
from complaints.mail import complainant
from complaints.mail.addresses import COMPLAINANT, addressee, link_url
from complaints.mail.compose import addressed, queue_email
from complaints.mail.contexts import (
    DecisionNoticeContext,
    EscalationContext,
    ReminderContext,
)
from complaints.mail.emails import EmailContext
from complaints.models import Complaint, OutboxMessage, Step, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue import spec_of
from complaints.steps.contracts import ResponseDecision
from complaints.steps.history import decision_of
from complaints.steps.opening import issue_token
from complaints.steps.requests import request_step


def explain_not_ours(
    session: Session,
    complaint: Complaint,
    settled_by: Step,
    org: Organization,
    settings: Settings,
) -> OutboxMessage:
    """Queue the explanation that the problem is not ours (the corrective-action loop, 2.1)
    as the step that settled it has it: the assessment, or a quality lead's approval."""
    decision = decision_of(settled_by, spec_of(settled_by.kind).contract)
    explanation = str(getattr(decision, "explanation", ""))
    if not explanation:
        raise ValueError(f"step {settled_by.key} explains nothing")
    message, _new = complainant.explain_not_ours(session, complaint, explanation, org, settings)
    return message


def tell_decision(
    session: Session,
    complaint: Complaint,
    decision: Step,
    org: Organization,
    settings: Settings,
) -> list[OutboxMessage]:
    """Tell the employees concerned how the complainant decided (ISO 10002 7.8): the
    handler, the quality leads, and everyone who owned a measure, an analysis or an action."""
    answer = decision_of(decision, ResponseDecision)
    concerned = [complaint.handler, *org.quality_leads]
    concerned += [s.assignee for s in complaint.steps if s.assignee != COMPLAINANT]
    messages = []
    for key in dict.fromkeys(concerned):  # each once, in order
        if key not in org.people:
            continue
        person = org.person(key)
        context = DecisionNoticeContext(
            **addressed(complaint, person.name, org),
            accepted=answer.accepted,
            reason="" if answer.accepted else answer.reason,
            rounds=int((decision.details or {}).get("round", 1)),
            decided_at=decision.decided_at or utcnow(),
        )
        messages.append(queue_email(session, complaint, decision.key, person, org, context)[0])
    return messages


def give_notice(
    session: Session,
    step: Step,
    notice: Notice,
    org: Organization,
    settings: Settings,
    *,
    now: datetime,
) -> list[OutboxMessage]:
    """Queue a reminder (to the step's owner) or an escalation (to the ladder's people).

    Each carries a fresh link to the step: links are stored only as hashes, so an earlier
    one cannot be sent again, and an escalated person may act on the step themselves.
    Everything is decided at ``now``, the watch's clock: the link's life and the time
    the email counts as queued.
    """
    complaint = step.complaint
    assert step.due_at is not None
    if notice.kind is NoticeKind.REQUEST:
        token = new_link(session, step, step.assignee, settings, now=now)
        return [request_step(session, complaint, step, token, org, settings, now=now)]
    owner = addressee(org, complaint, step.assignee)
    messages = []
    for key in notice.people:
        person = addressee(org, complaint, key)
        token = new_link(session, step, key, settings, now=now)
        reminder = ReminderContext(
            **addressed(complaint, person.name, org),
            step_name=f"step.{step.kind.value}",
            due_at=step.due_at,
            link_url=link_url(settings, token),
        )
        context: EmailContext = reminder
        if notice.kind is NoticeKind.ESCALATION:
            context = EscalationContext(
                **reminder.model_dump(), owner_name=owner.name, level=notice.level
            )
        occasion = f"{step.key}:{notice.key}"
        message, _new = queue_email(session, complaint, occasion, person, org, context, now=now)
        messages.append(message)
    return messages


def new_link(
    session: Session,
    step: Step,
    recipient: str,
    settings: Settings,
    *,
    actions: tuple[LinkAction, ...] = (LinkAction.DECIDE,),
    grace: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """Issue a fresh link to a step for one recipient; return its raw token."""
    return issue_token(
        session,
        step,
        recipient=recipient,
        secret=settings.secret_key.get_secret_value(),
        grace=grace or timedelta(hours=settings.link_grace_hours),
        actions=actions,
        now=now,
    )

"""Who is told what: composes each email and queues it in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from complaints.deadlines.schedule import Notice, contain_by, next_commitment
from complaints.enums import EmailKind, LinkAction, Locale, MeetingPurpose, NoticeKind, StepKind
from complaints.mail import outbox
from complaints.mail.emails import (
    AcknowledgementContext,
    ActionLine,
    ActionPlanOverviewContext,
    ActionPlanRequestContext,
    ActionRequestContext,
    AssessmentRequestContext,
    CauseAnalysisRequestContext,
    ClosingNoticeContext,
    ContainmentRequestContext,
    DecisionNoticeContext,
    EffectivenessRequestContext,
    EmailContext,
    EscalationContext,
    InfoRequestContext,
    MeasureRequestContext,
    MeetingInvitationContext,
    NotOursApprovalRequestContext,
    NotOursExplanationContext,
    ReminderContext,
    ResponseApprovalRequestContext,
    ResponseContext,
    ResponseRequestContext,
    StatusUpdateContext,
    SurveyRequestContext,
    render_email,
)
from complaints.mail.outbox import EmailAttachment
from complaints.meetings import ics
from complaints.meetings import service as meeting_service
from complaints.models import Complaint, Meeting, OutboxMessage, Step, utcnow
from complaints.organization import Organization, Person
from complaints.settings import Settings
from complaints.steps.service import (
    COMPLAINANT,
    FOLLOW_UP_KINDS,
    RESPONSE_FIELDS,
    issue_token,
    latest_decision,
)
from complaints.tokens import sign_status


def status_url(settings: Settings, complaint: Complaint) -> str:
    """Return the complainant's login-free status page."""
    signed = sign_status(complaint.id, settings.secret_key.get_secret_value())
    return f"{settings.public_url.rstrip('/')}/status/{signed}"


def link_url(settings: Settings, token: str) -> str:
    """Return the page a step link opens."""
    return f"{settings.public_url.rstrip('/')}/s/{token}"


def addressee(org: Organization, complaint: Complaint, key: str) -> Person:
    """Return whom a person key stands for: someone of the organization, or the complainant."""
    if key == COMPLAINANT:
        return Person(
            key=COMPLAINANT,
            name=complaint.complainant_name,
            email=complaint.complainant_email,
            locale=complaint.locale,
        )
    return org.person(key)


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
        contain_by=contain_by(complaint, org),
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
    *,
    reassigned: bool = False,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue the email that asks a step's assignee to act, with the step's link.

    ``reassigned``: a quality lead gave the action to this owner (again, maybe: each
    reassignment is an email of its own).
    """
    person = addressee(org, complaint, step.assignee)
    assert step.due_at is not None
    common: dict[str, Any] = {
        "reference": complaint.reference,
        "recipient_name": person.name,
        "organization": org.name,
        "product": complaint.product,
        "due_at": step.due_at,
        "link_url": link_url(settings, token),
    }
    details = step.details or {}
    context: EmailContext
    if step.kind is StepKind.ASSESSMENT:
        kind = EmailKind.ASSESSMENT_REQUEST
        context = AssessmentRequestContext(
            **common,
            description=complaint.description,
            requested_remedy=complaint.requested_remedy,
            received_at=complaint.received_at,
            question=details.get("question", ""),
            answer=details.get("answer", ""),
            answer_files=len(details.get("files", [])),
            returned_because=details.get("returned_because", ""),
        )
    elif step.kind is StepKind.INFO_REQUEST:
        kind = EmailKind.INFO_REQUEST
        context = InfoRequestContext(**common, question=details["question"])
    elif step.kind is StepKind.NOT_OURS_APPROVAL:
        kind = EmailKind.NOT_OURS_APPROVAL_REQUEST
        context = NotOursApprovalRequestContext(
            **common,
            handler_name=addressee(org, complaint, details["handler"]).name,
            explanation=details["explanation"],
        )
    elif step.kind is StepKind.CONTAINMENT:
        kind = EmailKind.CONTAINMENT_REQUEST
        meeting = meeting_service.find(session, complaint.id, MeetingPurpose.CONTAINMENT)
        assert meeting is not None, "the containment meeting is convened before its minutes"
        context = ContainmentRequestContext(
            **common,
            grade=complaint.grade.value if complaint.grade else "",
            meeting_at=meeting.starts_at,
            meeting_location=meeting.location,
        )
    elif step.kind is StepKind.MEASURE:
        kind = EmailKind.MEASURE_REQUEST
        context = MeasureRequestContext(
            **common, measure_type=details["type"], measure=details["description"]
        )
    elif step.kind is StepKind.CAUSE_ANALYSIS:
        kind = EmailKind.CAUSE_ANALYSIS_REQUEST
        context = CauseAnalysisRequestContext(
            **common, scope=details["scope"], method=details["method"]
        )
    elif step.kind is StepKind.ACTION_PLAN:
        kind = EmailKind.ACTION_PLAN_REQUEST
        meeting = meeting_service.find(session, complaint.id, MeetingPurpose.ROOT_CAUSE)
        analysis = latest_decision(complaint, StepKind.CAUSE_ANALYSIS)
        assert meeting is not None, "the root-cause meeting is convened before its minutes"
        context = ActionPlanRequestContext(
            **common,
            root_cause=analysis["root_cause"],
            problem_scope=analysis["scope"],
            meeting_at=meeting.starts_at,
            meeting_location=meeting.location,
            why_again=details.get("why", ""),
        )
    elif step.kind in FOLLOW_UP_KINDS:
        kind, context = _follow_up_request(complaint, step, common, org, settings)
    else:
        kind = EmailKind.ACTION_REQUEST
        context = ActionRequestContext(
            **common,
            action_type=details["type"],
            action=details["description"],
            reassigned=reassigned,
        )
    occasion = f"{step.key}:{person.key}"
    if reassigned:
        occasion = f"{step.key}:reassigned-{details.get('reassigned', 0)}"
    return _enqueue(session, complaint, occasion, kind, person, org, context, now=now)[0]


def _follow_up_request(
    complaint: Complaint,
    step: Step,
    common: dict[str, Any],
    org: Organization,
    settings: Settings,
) -> tuple[EmailKind, EmailContext]:
    """Return the email of a step after the actions: the answer and the follow-up."""
    details = step.details or {}
    answer = {name: details.get(name, "") for name in RESPONSE_FIELDS}
    if step.kind is StepKind.RESPONSE:
        return EmailKind.RESPONSE_REQUEST, ResponseRequestContext(
            **common,
            description=complaint.description,
            requested_remedy=complaint.requested_remedy,
            round=int(details.get("round", 1)),
            not_satisfied_because=details.get("not_satisfied_because", ""),
            returned_because=details.get("returned_because", ""),
        )
    if step.kind is StepKind.RESPONSE_APPROVAL:
        return EmailKind.RESPONSE_APPROVAL_REQUEST, ResponseApprovalRequestContext(
            **common, handler_name=addressee(org, complaint, details["handler"]).name, **answer
        )
    if step.kind is StepKind.RESPONSE_DECISION:
        link = common["link_url"]
        return EmailKind.RESPONSE, ResponseContext(
            **common,
            **answer,
            accept_url=f"{link}?answer=accept",
            reject_url=f"{link}?answer=not_satisfied",
            status_url=status_url(settings, complaint),
            round=int(details.get("round", 1)),
        )
    if step.kind is StepKind.SURVEY:
        return EmailKind.SURVEY_REQUEST, SurveyRequestContext(**common)
    return EmailKind.EFFECTIVENESS_REQUEST, EffectivenessRequestContext(
        **common, actions_closed_at=datetime.fromisoformat(details["actions_closed_at"])
    )


def tell_decision(
    session: Session,
    complaint: Complaint,
    decision: Step,
    org: Organization,
    settings: Settings,
) -> list[OutboxMessage]:
    """Tell the employees concerned how the complainant decided (ISO 10002 7.8): the
    handler, the quality leads, and everyone who owned a measure, an analysis or an action."""
    assert decision.decision is not None
    concerned = [complaint.handler, *org.quality_leads]
    concerned += [s.assignee for s in complaint.steps if s.assignee != COMPLAINANT]
    accepted = bool(decision.decision.get("accepted"))
    messages = []
    for key in dict.fromkeys(concerned):  # each once, in order
        if key not in org.people:
            continue
        person = org.person(key)
        context = DecisionNoticeContext(
            reference=complaint.reference,
            recipient_name=person.name,
            organization=org.name,
            product=complaint.product,
            accepted=accepted,
            reason="" if accepted else str(decision.decision.get("reason", "")),
            rounds=int((decision.details or {}).get("round", 1)),
            decided_at=decision.decided_at or utcnow(),
        )
        kind = EmailKind.DECISION_NOTICE
        messages.append(_enqueue(session, complaint, decision.key, kind, person, org, context)[0])
    return messages


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
        kind = EmailKind.CLOSING_NOTICE
        if outbox.exists(session, _dedup_key(complaint, occasion, key, kind)):
            continue  # its link was issued with it, and only its hash kept
        token = _new_link(
            session,
            closing[-1],
            key,
            settings,
            actions=(LinkAction.REOPEN,),
            grace=timedelta(days=settings.reopen_link_days),
        )
        context = ClosingNoticeContext(
            reference=complaint.reference,
            recipient_name=person.name,
            organization=org.name,
            product=complaint.product,
            resolution=complaint.resolution.value if complaint.resolution else "",
            closed_at=complaint.closed_at or utcnow(),
            reopen_url=link_url(settings, token),
        )
        messages.append(_enqueue(session, complaint, occasion, kind, person, org, context)[0])
    return messages


def tell_new_owner(
    session: Session,
    complaint: Complaint,
    step: Step,
    token: str,
    org: Organization,
    settings: Settings,
) -> OutboxMessage:
    """Queue the request to the owner an action was reassigned to."""
    return request_step(session, complaint, step, token, org, settings, reassigned=True)


def action_plan_overview(
    session: Session,
    complaint: Complaint,
    plan_key: str,
    action_steps: list[Step],
    org: Organization,
    settings: Settings,
) -> list[OutboxMessage]:
    """Queue, to each quality lead, the actions of a plan, each with a link to manage it.

    Queued once per plan and lead (its links are issued with it, then only hashed).
    """
    messages = []
    for key in org.quality_leads:
        person = org.person(key)
        if outbox.exists(
            session, _dedup_key(complaint, plan_key, key, EmailKind.ACTION_PLAN_OVERVIEW)
        ):
            continue
        lines = []
        for step in action_steps:
            assert step.due_at is not None
            token = _new_link(session, step, key, settings, actions=(LinkAction.MANAGE,))
            lines.append(
                ActionLine(
                    action_type=step.details["type"],
                    action=step.details["description"],
                    owner_name=addressee(org, complaint, step.assignee).name,
                    due_at=step.due_at,
                    link_url=link_url(settings, token),
                )
            )
        context = ActionPlanOverviewContext(
            reference=complaint.reference,
            recipient_name=person.name,
            organization=org.name,
            product=complaint.product,
            actions=lines,
        )
        kind = EmailKind.ACTION_PLAN_OVERVIEW
        messages.append(_enqueue(session, complaint, plan_key, kind, person, org, context)[0])
    return messages


def invite(
    session: Session,
    complaint: Complaint,
    meeting: Meeting,
    org: Organization,
    settings: Settings,
) -> list[OutboxMessage]:
    """Queue the meeting's calendar invitation (this sequence of it) to everyone invited."""
    organizer = org.person(meeting.organizer)
    people = [organizer, *(org.person(key) for key in meeting.attendees)]
    urgent = meeting.purpose == MeetingPurpose.CONTAINMENT
    calendar = ics.invitation(
        uid=meeting.uid,
        sequence=meeting.sequence,
        summary=f"{complaint.reference} · {'containment' if urgent else 'root-cause'} meeting",
        description=f"{complaint.reference}: {complaint.product}",
        location=meeting.location,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        zone=org.zone_of(),
        organizer=ics.Invitee(organizer.name, str(organizer.email)),
        attendees=[ics.Invitee(p.name, str(p.email)) for p in people[1:]],
        stamp=meeting.updated_at,
    )
    invitation = EmailAttachment(filename="invite.ics", content_type="text/calendar", text=calendar)
    messages = []
    for person in people:
        context = MeetingInvitationContext(
            reference=complaint.reference,
            recipient_name=person.name,
            organization=org.name,
            product=complaint.product,
            description=complaint.description,
            grade=complaint.grade.value if complaint.grade else "",
            safety_relevant=bool(complaint.safety_relevant),
            organizer_name=organizer.name,
            attendee_names=[p.name for p in people],
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            location=meeting.location,
            contain_by=contain_by(complaint, org) if urgent else None,
            updated=meeting.sequence > 0,
        )
        occasion = f"meeting-{meeting.purpose}-{meeting.sequence}"
        message, _new = _enqueue(
            session,
            complaint,
            occasion,
            EmailKind.MEETING_INVITATION if urgent else EmailKind.ACTION_MEETING_INVITATION,
            person,
            org,
            context,
            attachments=[invitation],
        )
        messages.append(message)
    return messages


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
    next_due = next_commitment(complaint, org)
    context = StatusUpdateContext(
        reference=complaint.reference,
        recipient_name=complaint.complainant_name,
        organization=org.name,
        product=complaint.product,
        stage=complaint.stage.value,
        next_due=next_due,
        status_url=status_url(settings, complaint),
        periodic=periodic,
    )
    return _to_complainant(
        session, complaint, org, EmailKind.STATUS_UPDATE, context, occasion=occasion, now=now
    )


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
        token = _new_link(session, step, step.assignee, settings, now=now)
        return [request_step(session, complaint, step, token, org, settings, now=now)]
    owner = addressee(org, complaint, step.assignee)
    messages = []
    for key in notice.people:
        person = addressee(org, complaint, key)
        token = _new_link(session, step, key, settings, now=now)
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
        if notice.kind is NoticeKind.ESCALATION:
            context = EscalationContext(
                **reminder.model_dump(), owner_name=owner.name, level=notice.level
            )
            kind = EmailKind.ESCALATION
        occasion = f"{step.key}:{notice.key}"
        message, _new = _enqueue(session, complaint, occasion, kind, person, org, context, now=now)
        messages.append(message)
    return messages


def _to_complainant(
    session: Session,
    complaint: Complaint,
    org: Organization,
    kind: EmailKind,
    context: EmailContext,
    *,
    occasion: str = "complainant",
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    complainant = addressee(org, complaint, COMPLAINANT)
    return _enqueue(session, complaint, occasion, kind, complainant, org, context, now=now)


def _enqueue(
    session: Session,
    complaint: Complaint,
    occasion: str,
    kind: EmailKind,
    person: Person,
    org: Organization,
    context: EmailContext,
    *,
    attachments: list[EmailAttachment] | None = None,
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    email = render_email(kind, context, locale=Locale(person.locale), zone=org.zone_of(person))
    return outbox.enqueue(
        session,
        dedup_key=_dedup_key(complaint, occasion, person.key, kind),
        complaint_id=complaint.id,
        kind=kind.value,
        recipient=str(person.email),
        recipient_name=person.name,
        email=email,
        attachments=attachments,
        now=now,
    )


def _dedup_key(complaint: Complaint, occasion: str, person_key: str, kind: EmailKind) -> str:
    """Return the outbox key of one email: one per complaint, occasion, person and kind."""
    return f"{complaint.id}:{occasion}:{person_key}:{kind.value}"


def _new_link(
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

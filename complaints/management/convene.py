"""Convening a management review (ISO 10002 8.6, ISO 9001 9.3): its inputs assembled and
kept, the pack (PDF) and a calendar invitation sent to every participant, and the chair
given the link where the minutes are submitted.

Convened once per key (the flow run that asks for it): a run that repeats the step finds
the review kept and its emails queued, and does neither again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

from pydantic_core import to_jsonable_python
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.enums import Locale, StepStatus
from complaints.mail import outbox
from complaints.mail.compose import queue_staff_email
from complaints.management.content import review_content
from complaints.management.emails import ManagementReviewContext
from complaints.management.links import issue_link
from complaints.management.pack import MANAGEMENT, Outcome, ReviewPack, assemble
from complaints.meetings import ics
from complaints.models import (
    ManagementReview,
    OutboxMessage,
    Review,
    ReviewFile,
    ReviewTask,
    TaskKind,
)
from complaints.organization import Organization, Person
from complaints.report.pdf import render_pdf
from complaints.reviews.issue import UnknownRecipient, store_file
from complaints.settings import Settings

# The review meets at this local time, ``meeting_in_days`` after it is convened; the
# chair has two days after the meeting for the minutes.
MEETING_TIME = time(10, 0)
MEETING_LENGTH = timedelta(hours=2)
MINUTES_WITHIN = timedelta(days=2)


@dataclass(frozen=True)
class Convened:
    review_id: uuid.UUID
    reference: str
    message_ids: list[uuid.UUID]


def participants_of(org: Organization, participants: list[str], chair: str | None) -> list[Person]:
    """Return the chair, then the other participants (by default the quality leads)."""
    chosen = participants or list(org.quality_leads)
    chair_key = chair or (org.quality_leads[0] if org.quality_leads else chosen[0])
    keys = list(dict.fromkeys([chair_key, *chosen]))
    unknown = [key for key in keys if key not in org.people]
    if unknown:
        raise UnknownRecipient(f"not in the organization file: {', '.join(unknown)}")
    return [org.person(key) for key in keys]


def reference_for(session: Session, org: Organization, now: datetime) -> str:
    """Return a review's reference: ``MR-`` and its day in the organization's zone (a
    second review that day gets ``-2``)."""
    day = now.astimezone(org.zone_of()).date().isoformat()
    base = f"MR-{day}"
    same_day = session.scalar(
        select(func.count())
        .select_from(Review)
        .where(Review.kind == MANAGEMENT, Review.period_label.like(f"{base}%"))
    )
    return base if not same_day else f"{base}-{int(same_day) + 1}"


def meeting_time(org: Organization, now: datetime, in_days: int) -> datetime:
    """Return when the review meets: ``in_days`` after ``now``, at MEETING_TIME locally."""
    zone = org.zone_of()
    day = (now.astimezone(zone) + timedelta(days=in_days)).date()
    return datetime.combine(day, MEETING_TIME, tzinfo=zone).astimezone(UTC)


def convene(
    session: Session,
    org: Organization,
    settings: Settings,
    *,
    key: str,
    flow_run_id: uuid.UUID | None,
    participants: list[str],
    chair: str | None,
    meeting_in_days: int,
    now: datetime,
) -> Convened:
    """Keep the review's inputs, open the chair's minutes and queue the pack (once per key)."""
    kept = session.scalars(select(Review).where(Review.key == key)).first()
    if kept is not None:
        return Convened(kept.id, kept.period_label, _queued(session, kept.id))
    people = participants_of(org, participants, chair)
    reference = reference_for(session, org, now)
    pack = assemble(session, reference, now)
    review = Review(
        id=uuid.uuid4(),
        key=key,
        kind=MANAGEMENT,
        period_label=reference,
        period_start=pack.since or now,
        period_end=now,
        filters={},
        figures=to_jsonable_python(pack),
        recipients=[p.key for p in people],
        created_at=now,
    )
    session.add(review)
    session.flush()
    management, minutes = _open(
        session, review, flow_run_id, people, meeting_time(org, now, meeting_in_days), now
    )
    packs = _packs(session, settings, org, review, pack, people)
    calendar = _invitation(org, settings, review, management, people, now)
    message_ids = [
        _mail_pack(
            session, org, settings, review, pack, management, minutes, person, packs, calendar, now
        )
        for person in people
    ]
    return Convened(review.id, reference, message_ids)


def _open(
    session: Session,
    review: Review,
    flow_run_id: uuid.UUID | None,
    people: list[Person],
    meets_at: datetime,
    now: datetime,
) -> tuple[ManagementReview, ReviewTask]:
    """Record the meeting and open its minutes for the chair (the first of ``people``)."""
    management = ManagementReview(
        review_id=review.id,
        flow_run_id=flow_run_id,
        chair=people[0].key,
        participants=[p.key for p in people],
        meeting_at=meets_at,
    )
    minutes = ReviewTask(
        id=uuid.uuid4(),
        review_id=review.id,
        kind=TaskKind.MINUTES,
        number=1,
        assignee=people[0].key,
        status=StepStatus.OPEN,
        opened_at=now,
        due_at=meets_at + MEETING_LENGTH + MINUTES_WITHIN,
        details={},
        notices=[],
        history=[],
    )
    session.add_all([management, minutes])
    session.flush()
    return management, minutes


def _mail_pack(
    session: Session,
    org: Organization,
    settings: Settings,
    review: Review,
    pack: ReviewPack,
    management: ManagementReview,
    minutes: ReviewTask,
    person: Person,
    packs: dict[Locale, ReviewFile],
    calendar: str,
    now: datetime,
) -> uuid.UUID:
    """Queue one participant's pack and invitation (the chair's with the minutes' link)."""
    chairs = person.key == management.chair
    kept_pdf = packs[Locale(person.locale)]
    context = ManagementReviewContext(
        reference=review.period_label,
        recipient_name=person.name,
        organization=org.name,
        meeting_at=management.meeting_at,
        chair_name=org.person(management.chair).name,
        participant_names=[org.person(k).name for k in management.participants],
        earlier_actions=len(pack.earlier_actions),
        open_actions=sum(
            a.outcome in (Outcome.OPEN, Outcome.OVERDUE) for a in pack.earlier_actions
        ),
        open_systemic=len(pack.open_systemic),
        analysis=pack.analysis.reference if pack.analysis else "",
        minutes_url=issue_link(session, minutes, person.key, settings, now=now) if chairs else "",
        minutes_due_at=minutes.due_at,
        attachments=[kept_pdf.filename, "invite.ics"],
    )
    attachments: list[outbox.EmailAttachment | outbox.StoredAttachment] = [
        outbox.StoredAttachment(kept_pdf.id, kept_pdf.filename, kept_pdf.content_type),
        outbox.EmailAttachment("invite.ics", "text/calendar", calendar),
    ]
    message, _new = queue_staff_email(
        session,
        person,
        org,
        context,
        dedup_key=f"review:{review.id}:pack:{person.key}",
        attachments=attachments,
        now=now,
    )
    return message.id


def _packs(
    session: Session,
    settings: Settings,
    org: Organization,
    review: Review,
    pack: ReviewPack,
    people: list[Person],
) -> dict[Locale, ReviewFile]:
    """Keep the pack's PDF in each participant's language."""
    locales = sorted({Locale(p.locale) for p in people})
    return {
        locale: store_file(
            session,
            settings,
            review,
            f"{pack.reference}-pack-{locale.value}.pdf",
            "application/pdf",
            render_pdf(review_content(pack, org, locale)),
        )
        for locale in locales
    }


def _invitation(
    org: Organization,
    settings: Settings,
    review: Review,
    management: ManagementReview,
    people: list[Person],
    now: datetime,
) -> str:
    chair = people[0]
    domain = urlsplit(settings.public_url).hostname or "complaints.invalid"
    return ics.invitation(
        uid=f"{review.id}@{domain}",
        sequence=0,
        summary=f"{review.period_label} · management review",
        description=f"{review.period_label}: management review (ISO 10002 8.6)",
        location=org.name,
        starts_at=management.meeting_at,
        ends_at=management.meeting_at + MEETING_LENGTH,
        zone=org.zone_of(),
        organizer=ics.Invitee(chair.name, str(chair.email)),
        attendees=[ics.Invitee(p.name, str(p.email)) for p in people[1:]],
        stamp=now,
    )


def _queued(session: Session, review_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.dedup_key.like(f"review:{review_id}:pack:%")
            )
        )
    )

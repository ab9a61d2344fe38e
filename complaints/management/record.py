"""The record of a management review (ISO 10002 8.6 asks that it be kept): its inputs,
minutes, decisions and actions, as PDF in each participant's language, mailed to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import Locale
from complaints.i18n import translator
from complaints.mail import outbox
from complaints.mail.compose import queue_staff_email
from complaints.management.content import review_content
from complaints.management.contracts import ReviewMinutes
from complaints.management.decide import minutes_task
from complaints.management.emails import ReviewRecordContext
from complaints.management.pack import ReviewPack, action_status
from complaints.models import ManagementReview, Review, ReviewTask, TaskKind
from complaints.organization import Organization, Person
from complaints.report.pdf import render_pdf
from complaints.reviews.issue import store_file
from complaints.settings import Settings


def record_of(session: Session, review: Review, at: datetime) -> tuple[ReviewPack, list[Any]]:
    """Return a review's pack and its own actions as they stand at a moment."""
    pack = TypeAdapter(ReviewPack).validate_python(review.figures)
    actions = session.scalars(
        select(ReviewTask)
        .where(ReviewTask.review_id == review.id, ReviewTask.kind == TaskKind.ACTION)
        .order_by(ReviewTask.number)
    ).all()
    return pack, [action_status(task, review.period_label, at) for task in actions]


def record_pdf(org: Organization, review: Review, session: Session, locale: Locale) -> bytes:
    """Return the review's record in one language, as PDF (its actions as they stand now)."""
    task = minutes_task(session, review.id)
    minutes = ReviewMinutes.model_validate(task.decision) if task.decision else None
    pack, actions = record_of(session, review, task.decided_at or review.created_at)
    return render_pdf(review_content(pack, org, locale, minutes=minutes, decided=actions))


def send_record(
    session: Session,
    org: Organization,
    settings: Settings,
    management: ManagementReview,
    review: Review,
    minutes: ReviewMinutes,
    *,
    now: datetime,
) -> list[uuid.UUID]:
    """Keep the record's PDF in each participant's language and mail it to them."""
    people = [org.person(k) for k in management.participants if k in org.people]
    files = {}
    for locale in sorted({Locale(p.locale) for p in people}):
        name = f"{review.period_label}-record-{locale.value}.pdf"
        kept = next((f for f in review.files if f.filename == name), None)
        files[locale] = kept or store_file(
            session,
            settings,
            review,
            name,
            "application/pdf",
            record_pdf(org, review, session, locale),
        )
    return [
        _mail_record(session, org, review, minutes, person, files[Locale(person.locale)], now)
        for person in people
    ]


def _mail_record(
    session: Session,
    org: Organization,
    review: Review,
    minutes: ReviewMinutes,
    person: Person,
    kept: Any,
    now: datetime,
) -> uuid.UUID:
    _ = translator(Locale(person.locale))
    decisions = [
        f"{_(f'mr.area.{d.area.value}')}: {d.description} "
        f"({org.person(d.owner).name}, {d.due_on.isoformat()})"
        for d in minutes.decisions
    ]
    context = ReviewRecordContext(
        reference=review.period_label,
        recipient_name=person.name,
        organization=org.name,
        decisions=decisions,
        next_review_on=minutes.next_review_on.isoformat(),
        attachments=[kept.filename],
    )
    message, _new = queue_staff_email(
        session,
        person,
        org,
        context,
        dedup_key=f"review:{review.id}:record:{person.key}",
        attachments=[outbox.StoredAttachment(kept.id, kept.filename, kept.content_type)],
        now=now,
    )
    return message.id

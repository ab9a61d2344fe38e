"""The daily trend alert (ISO 10002 8.2): complaints that recur on one product family
with one cause category, told to the quality leads once per window.

A breach is at least ``alert_at_least`` complaints received within the last
``alert_window_days`` whose root causes share a category. The leads get an email with
a link that opens a review of exactly those days and that family; the same breach is
not told again until a window has passed since it was.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.enums import Locale, StepKind
from complaints.mail.compose import queue_staff_email
from complaints.mail.contexts import TrendAlertContext
from complaints.models import Complaint, OutboxMessage
from complaints.organization import Organization
from complaints.reviews.queries import latest_decision
from complaints.reviews.view import key_label
from complaints.settings import Settings


@dataclass(frozen=True)
class Breach:
    family: str
    cause_category: str
    count: int
    since: datetime
    references: list[str]

    @property
    def reference(self) -> str:
        """The breach's name in emails and events: ``<family>/<cause category>``."""
        return f"{self.family}/{self.cause_category}"


def recurrence_breaches(session: Session, org: Organization, *, as_of: datetime) -> list[Breach]:
    """Return each product family and cause category with too many complaints lately."""
    since = as_of - timedelta(days=org.reviews.alert_window_days)
    recent = [Complaint.received_at >= since, Complaint.received_at < as_of]
    cause = latest_decision(
        StepKind.CAUSE_ANALYSIS,
        ("category",),
        before=as_of,
        among=select(Complaint.id).where(*recent),
    )
    counted = func.count()
    groups = session.execute(
        select(Complaint.product_family, cause.c.category, counted)
        .join(cause, cause.c.complaint_id == Complaint.id)
        .where(*recent, Complaint.product_family.is_not(None))
        .group_by(Complaint.product_family, cause.c.category)
        .having(counted >= org.reviews.alert_at_least)
        .order_by(counted.desc(), Complaint.product_family, cause.c.category)
    ).all()
    breaches = []
    for family, category, count in groups:
        references = session.scalars(
            select(Complaint.reference)
            .join(cause, cause.c.complaint_id == Complaint.id)
            .where(*recent, Complaint.product_family == family, cause.c.category == category)
            .order_by(Complaint.received_at)
        ).all()
        breaches.append(Breach(str(family), str(category), int(count), since, list(references)))
    return breaches


def _told_lately(session: Session, breach: Breach, since: datetime) -> bool:
    return (
        session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.dedup_key.like(f"trend:{breach.reference}:%"),
                OutboxMessage.created_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def tell_quality_leads(
    session: Session, org: Organization, settings: Settings, *, as_of: datetime
) -> tuple[list[Breach], list[uuid.UUID]]:
    """Queue an alert to every quality lead for each breach not told within its window;
    return the breaches told and the emails queued."""
    told: list[Breach] = []
    message_ids: list[uuid.UUID] = []
    zone = org.zone_of()
    for breach in recurrence_breaches(session, org, as_of=as_of):
        if _told_lately(session, breach, breach.since):
            continue
        first, last = breach.since.astimezone(zone).date(), as_of.astimezone(zone).date()
        review_url = (
            f"{settings.public_url.rstrip('/')}/reviews?period=days&first_day={first}"
            f"&last_day={last}&product_family={breach.family}#run"
        )
        for key in org.quality_leads:
            person = org.person(key)
            locale = Locale(person.locale)
            context = TrendAlertContext(
                reference=breach.reference,
                recipient_name=person.name,
                organization=org.name,
                family=key_label("product_family", breach.family, org, locale),
                cause=key_label("cause_category", breach.cause_category, org, locale),
                count=breach.count,
                window_days=org.reviews.alert_window_days,
                since=breach.since,
                references=breach.references,
                review_url=review_url,
            )
            message, _new = queue_staff_email(
                session,
                person,
                org,
                context,
                dedup_key=f"trend:{breach.reference}:{last}:{key}",
                now=as_of,
            )
            message_ids.append(message.id)
        told.append(breach)
    return told, message_ids

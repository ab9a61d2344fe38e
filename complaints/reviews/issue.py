"""Issuing a trend analysis: compute it, keep it with its files, mail it to each reader.

Issued once per key (the flow run that asks for it): a run that repeats the step finds
the review kept and its emails queued, and does neither again (the outbox's dedup key
refuses a second copy). Each recipient gets the analysis in their own language: key
figures and charts inside the email, the PDF of their language and the rows behind the
figures (CSV and XLSX) attached.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import Locale
from complaints.files.uploads import stored_path, write_whole
from complaints.i18n import translator
from complaints.mail import outbox
from complaints.mail.compose import queue_staff_email
from complaints.mail.contexts import ReviewChart, ReviewFigure, ReviewReportContext
from complaints.models import OutboxMessage, Review, ReviewFile
from complaints.organization import Organization, Person
from complaints.reviews.analysis import analyse
from complaints.reviews.charts import Chart, review_charts
from complaints.reviews.export import XLSX_TYPE, review_csv, review_rows, review_xlsx
from complaints.reviews.figures import Filters, Period, TrendFigures
from complaints.reviews.pdf import render_review_pdf
from complaints.reviews.view import ReviewContent, decimal, review_content, share_text
from complaints.settings import Settings

KIND = "trend"


@dataclass(frozen=True)
class IssuedReview:
    review_id: uuid.UUID
    reference: str
    message_ids: list[uuid.UUID]


class UnknownRecipient(ValueError):
    """A recipient the organization file does not name."""


def reference_of(period: Period, filters: Filters) -> str:
    """Return a review's reference: its period and scope, fit for a file name."""
    parts = ["TA", period.label, filters.department or "", filters.product_family or ""]
    return re.sub(r"[^0-9A-Za-z]+", "-", "-".join(p for p in parts if p)).strip("-")


def issue_trend_review(
    session: Session,
    org: Organization,
    settings: Settings,
    *,
    key: str,
    period: Period,
    filters: Filters,
    recipients: list[str],
    now: datetime,
) -> IssuedReview:
    """Keep the period's trend analysis and queue it to each recipient (once per key)."""
    readers = _readers(org, recipients)
    reference = reference_of(period, filters)
    kept = session.scalars(select(Review).where(Review.key == key)).first()
    if kept is not None:
        return IssuedReview(kept.id, reference, _queued(session, kept.id))
    figures = analyse(session, org, period, filters)
    review = Review(
        id=uuid.uuid4(),
        key=key,
        kind=KIND,
        period_label=period.label,
        period_start=period.start,
        period_end=period.end,
        filters=asdict(filters),
        figures=to_jsonable_python(figures),
        recipients=[p.key for p in readers],
        created_at=now,
    )
    session.add(review)
    session.flush()
    tables = _tables(session, settings, org, review, reference, period, filters)
    record_locale = Locale(org.person(org.quality_leads[0]).locale)
    message_ids = []
    for locale in sorted({record_locale, *(Locale(p.locale) for p in readers)}):
        edition = _edition(session, settings, review, reference, org, figures, locale, tables)
        for person in (p for p in readers if Locale(p.locale) is locale):
            message_ids.append(_mail(session, org, review, person, edition, now=now))
    return IssuedReview(review.id, reference, message_ids)


def _tables(
    session: Session,
    settings: Settings,
    org: Organization,
    review: Review,
    reference: str,
    period: Period,
    filters: Filters,
) -> list[ReviewFile]:
    """Keep the rows behind every figure, as CSV and as XLSX."""
    rows = review_rows(session, period, filters, org.zone_of())
    return [
        store_file(session, settings, review, f"{reference}.csv", "text/csv", review_csv(rows)),
        store_file(
            session,
            settings,
            review,
            f"{reference}.xlsx",
            XLSX_TYPE,
            review_xlsx(rows, title=reference),
        ),
    ]


@dataclass(frozen=True)
class Edition:
    """The review in one language: its words, its charts and files as kept."""

    locale: Locale
    reference: str
    figures: TrendFigures
    content: ReviewContent
    images: list[tuple[Chart, ReviewFile]]
    files: list[ReviewFile]


def _edition(
    session: Session,
    settings: Settings,
    review: Review,
    reference: str,
    org: Organization,
    figures: TrendFigures,
    locale: Locale,
    tables: list[ReviewFile],
) -> Edition:
    """Put the review into one language and keep its PDF and charts."""
    content = review_content(figures, org, locale)
    charts = review_charts(figures, org, locale)
    pdf = render_review_pdf(content, charts)
    kept_pdf = store_file(
        session, settings, review, f"{reference}-{locale.value}.pdf", "application/pdf", pdf
    )
    images = [
        (
            chart,
            store_file(
                session,
                settings,
                review,
                f"{reference}-{chart.name}-{locale.value}.png",
                "image/png",
                chart.png,
            ),
        )
        for chart in charts
    ]
    return Edition(locale, reference, figures, content, images, [kept_pdf, *tables])


def _readers(org: Organization, recipients: list[str]) -> list[Person]:
    unknown = [key for key in recipients if key not in org.people]
    if unknown:
        raise UnknownRecipient(f"not in the organization file: {', '.join(unknown)}")
    return [org.person(key) for key in dict.fromkeys(recipients or org.quality_leads)]


def _queued(session: Session, review_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.dedup_key.like(f"review:{review_id}:%"))
        )
    )


def store_file(
    session: Session,
    settings: Settings,
    review: Review,
    filename: str,
    content_type: str,
    data: bytes,
) -> ReviewFile:
    """Keep one file of a review on disk under its id, with its hash (flushed, not committed)."""
    stored = ReviewFile(
        id=uuid.uuid4(),
        review_id=review.id,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    write_whole(stored_path(settings, stored.id), data)
    session.add(stored)
    session.flush()
    return stored


def _key_figures(figures: TrendFigures, locale: Locale) -> list[ReviewFigure]:
    _ = translator(locale)
    counts, timely = figures.counts, figures.timeliness
    problems, surveys = figures.problems, figures.satisfaction
    pairs = [
        (_("review.mail.new"), str(counts.new)),
        (_("review.mail.closed"), str(counts.closed)),
        (_("review.mail.open_at_end"), str(counts.open_at_end)),
        (_("review.mail.acknowledgement"), share_text(timely.acknowledgement, locale)),
        (_("review.mail.containment"), share_text(timely.containment, locale)),
        (
            _("review.mail.overdue"),
            str(timely.overdue_steps_at_end + timely.overdue_actions_at_end),
        ),
        (_("review.mail.systemic"), str(problems.systemic)),
        (_("review.mail.recurring"), str(problems.recurring)),
        (_("review.mail.satisfaction"), decimal(surveys.mean_score)),
    ]
    return [ReviewFigure(label=label, value=value) for label, value in pairs]


def _mail(
    session: Session,
    org: Organization,
    review: Review,
    person: Person,
    edition: Edition,
    *,
    now: datetime,
) -> uuid.UUID:
    """Queue one reader's email: key figures and charts inside, the files attached."""
    content, images, files = edition.content, edition.images, edition.files
    locale = Locale(person.locale)
    context = ReviewReportContext(
        reference=edition.reference,
        recipient_name=person.name,
        organization=org.name,
        title=content.title,
        period=f"{content.period} ({content.span})",
        scope=content.scope,
        issued_at=now,
        nothing_happened=edition.figures.nothing_happened,
        figures=_key_figures(edition.figures, locale),
        charts=[
            ReviewChart(content_id=f"{chart.name}@review", title=chart.title) for chart, _ in images
        ],
        attachments=[f.filename for f in files],
    )
    attachments: list[outbox.EmailAttachment | outbox.StoredAttachment] = [
        outbox.StoredAttachment(f.id, f.filename, f.content_type, f"{chart.name}@review")
        for chart, f in images
    ]
    attachments += [outbox.StoredAttachment(f.id, f.filename, f.content_type) for f in files]
    message, _new = queue_staff_email(
        session,
        person,
        org,
        context,
        dedup_key=f"review:{review.id}:{person.key}",
        attachments=attachments,
        now=now,
    )
    return message.id

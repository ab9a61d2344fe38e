"""Every email: a kind, a typed context, and an HTML + text pair rendered per recipient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from complaints.enums import EmailKind, Locale
from complaints.i18n import format_datetime, translator
from complaints.templating import environment


class EmailContext(BaseModel):
    """What every email knows: whom it is for and which complaint it is about."""

    reference: str
    recipient_name: str
    organization: str


class AcknowledgementContext(EmailContext):
    product: str
    received_at: datetime
    contain_by: datetime
    status_url: str


class AssessmentRequestContext(EmailContext):
    product: str
    description: str
    requested_remedy: str
    received_at: datetime
    due_at: datetime
    link_url: str


class NotOursExplanationContext(EmailContext):
    product: str
    explanation: str
    status_url: str


class ContainmentRequestContext(EmailContext):
    product: str
    grade: str
    due_at: datetime
    link_url: str


class ReminderContext(EmailContext):
    step_name: str
    due_at: datetime
    link_url: str


class EscalationContext(ReminderContext):
    owner_name: str
    level: int


CONTEXTS: dict[EmailKind, type[EmailContext]] = {
    EmailKind.REMINDER: ReminderContext,
    EmailKind.ESCALATION: EscalationContext,
    EmailKind.ACKNOWLEDGEMENT: AcknowledgementContext,
    EmailKind.ASSESSMENT_REQUEST: AssessmentRequestContext,
    EmailKind.NOT_OURS_EXPLANATION: NotOursExplanationContext,
    EmailKind.CONTAINMENT_REQUEST: ContainmentRequestContext,
}

SUBJECTS: dict[EmailKind, str] = {
    EmailKind.REMINDER: "Reminder: complaint %(reference)s is waiting for you",
    EmailKind.ESCALATION: "Overdue: complaint %(reference)s needs attention",
    EmailKind.ACKNOWLEDGEMENT: "We have received your complaint %(reference)s",
    EmailKind.ASSESSMENT_REQUEST: "Assessment needed: complaint %(reference)s",
    EmailKind.NOT_OURS_EXPLANATION: "The outcome of your complaint %(reference)s",
    EmailKind.CONTAINMENT_REQUEST: "Containment needed within 48 hours: complaint %(reference)s",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(
    kind: EmailKind, context: EmailContext, *, locale: Locale, zone: ZoneInfo
) -> RenderedEmail:
    """Render an email's subject, text part and HTML part in the recipient's language."""
    if not isinstance(context, CONTEXTS[kind]):
        raise TypeError(f"{kind} needs a {CONTEXTS[kind].__name__}")
    _ = translator(locale)
    values = {
        **dict(context),
        "_": _,
        "when": lambda moment: format_datetime(moment, zone, locale),
        "lang": locale.value,
    }
    env = environment()
    text = env.get_template(f"email/{kind.value}.txt.j2").render(values)
    html = env.get_template(f"email/{kind.value}.html.j2").render(values)
    # The subject is a header: no line breaks may reach it, whatever the data holds.
    subject = " ".join(_(SUBJECTS[kind], reference=context.reference).split())
    return RenderedEmail(subject=subject, text=text, html=html)

"""The incident report by email: to each quality lead, in their language, with the files.

The report goes by reference to its stored files (PDF and HTML), so the outbox row stays
small and the bytes sent are checked against the checksum recorded when they were kept.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from complaints.enums import EmailKind, Locale, StepKind
from complaints.mail import outbox
from complaints.mail.compose import addressed
from complaints.mail.contexts import IncidentReportContext
from complaints.mail.emails import render_email
from complaints.models import Complaint, OutboxMessage, utcnow
from complaints.organization import Organization
from complaints.report.record import latest_decided
from complaints.report.service import keep_incident_report, report_key
from complaints.settings import Settings

KIND = EmailKind.INCIDENT_REPORT


def send_incident_report(
    session: Session, complaint: Complaint, org: Organization, settings: Settings
) -> list[OutboxMessage]:
    """Queue the due report to every quality lead (once each), in the lead's language.

    The report in each language needed is kept with the complaint first.
    """
    analysis = latest_decided(complaint.steps, StepKind.CAUSE_ANALYSIS)
    root_cause = str((analysis.decision or {}).get("root_cause", "")) if analysis else ""
    messages = []
    for key in org.quality_leads:
        person = org.person(key)
        locale = Locale(person.locale)
        files = keep_incident_report(session, complaint, org, settings, locale)
        context = IncidentReportContext(
            **addressed(complaint, person.name, org),
            root_cause=root_cause,
            issued_at=utcnow(),
            attachments=[f.filename for f in files],
        )
        message, _new = outbox.enqueue(
            session,
            # One per report and lead: a repeated task queues no second copy.
            dedup_key=f"{complaint.id}:{report_key(complaint)}:{key}:{KIND.value}",
            complaint_id=complaint.id,
            kind=KIND.value,
            recipient=str(person.email),
            recipient_name=person.name,
            email=render_email(context, locale=locale, zone=org.zone_of(person)),
            attachments=[outbox.StoredAttachment(f.id, f.filename, f.content_type) for f in files],
        )
        messages.append(message)
    return messages

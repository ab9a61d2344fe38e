"""The incident report: kept with the complaint once every corrective action is done."""

from __future__ import annotations

import uuid

from complaints.enums import Locale
from complaints.intake import service
from complaints.report.mail import send_incident_report
from complaints.report.service import keep_incident_report
from tasks.runtime import organization, settings, step_task, transaction


@step_task("issue-incident-report")
def issue_incident_report(complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """Keep the incident report with the complaint and queue it to the quality leads.

    The record's own copy is in the first quality lead's language (the organization
    file names no language of its own); each lead also gets the report in theirs.
    Both are keyed by complaint and language, so a repeated task stores and queues
    nothing twice. Returns the ids of the queued emails.
    """
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        org, config = organization(), settings()
        record_locale = Locale(org.person(org.quality_leads[0]).locale)
        keep_incident_report(session, complaint, org, config, record_locale)
        return [m.id for m in send_incident_report(session, complaint, org, config)]

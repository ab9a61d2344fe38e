"""The incident report (事故处理报告): the whole record of a corrected complaint.

Six sections (complaint, containment, cause, actions, evidence, timeline) as HTML and
PDF in the reader's language, kept with the complaint as files of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints import repository
from complaints.audit import record_event
from complaints.enums import EventKind, Locale, MeetingPurpose, StepKind
from complaints.files.uploads import store_generated
from complaints.meetings import service as meeting_service
from complaints.models import Attachment, Complaint, utcnow
from complaints.organization import Organization
from complaints.report.pdf import render_pdf
from complaints.report.record import (
    actions_blocks,
    cause_blocks,
    complaint_blocks,
    containment_blocks,
    evidence_blocks,
    timeline_blocks,
)
from complaints.report.view import SECTIONS, SYSTEM, Block, Reader, ReportContent, section
from complaints.settings import Settings
from complaints.templating import environment

FILE_PREFIX = "incident-report-"
PDF = "application/pdf"
HTML = "text/html"


@dataclass(frozen=True)
class IncidentReport:
    html: str
    pdf: bytes


def render_incident_report(
    session: Session,
    complaint: Complaint,
    org: Organization,
    locale: Locale,
    *,
    zone: ZoneInfo | None = None,
) -> IncidentReport:
    """Render the report in a language, dates in ``zone`` (else the organization's)."""
    content = gather(session, complaint, org, locale=locale, zone=zone or org.zone_of())
    template = environment().get_template("report/incident_report.html.j2")
    return IncidentReport(html=template.render(report=content), pdf=render_pdf(content))


def gather(
    session: Session, complaint: Complaint, org: Organization, *, locale: Locale, zone: ZoneInfo
) -> ReportContent:
    """Return the report's content, read from the database, for one reader."""
    reader = Reader(locale, zone, org)
    steps = list(complaint.steps)
    files = [a for a in repository.attachments_of(session, complaint.id) if not _is_report(a)]
    names = {str(a.id): a.filename for a in files}
    events = list(repository.events_of(session, complaint.id))
    containment = meeting_service.find(session, complaint.id, MeetingPurpose.CONTAINMENT)
    root_cause = meeting_service.find(session, complaint.id, MeetingPurpose.ROOT_CAUSE)
    blocks: dict[str, list[Block]] = {
        "complaint": complaint_blocks(reader, complaint, steps),
        "containment": containment_blocks(reader, steps, containment, names),
        "cause": cause_blocks(reader, steps, names),
        "actions": actions_blocks(reader, steps, root_cause, events, names),
        "evidence": evidence_blocks(reader, files),
        "timeline": timeline_blocks(reader, events),
    }
    return ReportContent(
        lang=locale.value,
        title=reader.text("title"),
        organization=org.name,
        reference_label=reader.text("reference"),
        reference=complaint.reference,
        generated_label=reader.text("generated"),
        generated=reader.when(utcnow()),
        none=reader.text("none"),
        separator=reader.text("separator"),
        sections=tuple(section(reader, key, blocks[key]) for key in SECTIONS),
    )


def report_key(complaint: Complaint) -> str:
    """Return which report a complaint is due: one per decided action plan.

    A plan decided again (the actions did not work, or the complaint was reopened)
    leads to actions of its own, and so to a new report once they are done.
    """
    plans = [s for s in complaint.steps if s.kind is StepKind.ACTION_PLAN and s.decision]
    later = f"-r{len(plans)}" if len(plans) > 1 else ""
    return f"{FILE_PREFIX}{complaint.reference}{later}"


def report_filenames(complaint: Complaint, locale: Locale) -> tuple[str, str]:
    """Return the names of a complaint's due report in a language: (PDF, HTML)."""
    stem = f"{report_key(complaint)}-{locale.value}"
    return f"{stem}.pdf", f"{stem}.html"


def keep_incident_report(
    session: Session,
    complaint: Complaint,
    org: Organization,
    settings: Settings,
    locale: Locale,
) -> list[Attachment]:
    """Store the due report in a language with the complaint (once); return its PDF and HTML.

    Reports are told apart by file name (report key and language): a repeated call
    returns the files stored first. Rows are flushed, not committed.
    """
    # Two processes keeping the same report wait for each other here (SQLite takes
    # its write lock when the transaction begins).
    session.execute(select(Complaint.id).where(Complaint.id == complaint.id).with_for_update())
    pdf_name, html_name = report_filenames(complaint, locale)
    kept = {
        a.filename: a
        for a in session.scalars(
            select(Attachment).where(
                Attachment.complaint_id == complaint.id,
                Attachment.uploaded_by == SYSTEM,
                Attachment.filename.in_((pdf_name, html_name)),
            )
        )
    }
    if pdf_name not in kept or html_name not in kept:
        report = render_incident_report(session, complaint, org, locale)
        # Operators see the report issued in the complaint's Event Feed (its key, no content).
        record_event(
            session,
            complaint.id,
            EventKind.REPORT_ISSUED,
            data={"key": report_key(complaint), "language": locale.value},
        )
        made = {pdf_name: (PDF, report.pdf), html_name: (HTML, report.html.encode("utf-8"))}
        for name, (content_type, data) in made.items():
            if name not in kept:
                kept[name] = store_generated(
                    session,
                    complaint_id=complaint.id,
                    filename=name,
                    content_type=content_type,
                    data=data,
                    settings=settings,
                )
    return [kept[pdf_name], kept[html_name]]


def _is_report(attachment: Attachment) -> bool:
    return attachment.uploaded_by == SYSTEM and attachment.filename.startswith(FILE_PREFIX)

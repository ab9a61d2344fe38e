"""What the retention job tells: an email to each quality lead and a Prefect artifact,
both in counts only."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime

from sqlalchemy.orm import Session

from complaints.mail.compose import queue_staff_email
from complaints.mail.contexts import RetentionReportContext
from complaints.markdown import table
from complaints.organization import Organization
from complaints.privacy.retention import RetentionCounts

ARTIFACT_KEY = "privacy-retention"


def retention_reference(as_of: datetime) -> str:
    """Return the label of a retention pass: the moment it erased as of, to the minute."""
    return f"RET-{as_of:%Y%m%d-%H%M}"


def queue_retention_report(
    session: Session, org: Organization, counts: RetentionCounts, *, as_of: datetime
) -> list[uuid.UUID]:
    """Queue the report to every quality lead (once per pass); nothing when nothing went."""
    if counts.empty:
        return []
    reference = retention_reference(as_of)
    queued = []
    for key in org.quality_leads:
        person = org.person(key)
        context = RetentionReportContext(
            reference=reference,
            recipient_name=person.name,
            organization=org.name,
            as_of=as_of,
            keep_personal_data_days=org.privacy.keep_personal_data_days,
            keep_uploads_days=org.privacy.keep_uploads_days,
            complaints=counts.complaints,
            texts=counts.texts,
            files=counts.files,
            addresses=counts.addresses,
            exports=counts.exports,
        )
        message, _new = queue_staff_email(
            session, person, org, context, dedup_key=f"retention:{reference}:{key}", now=as_of
        )
        queued.append(message.id)
    return queued


def retention_markdown(counts: RetentionCounts, org: Organization, *, as_of: datetime) -> str:
    """Return the artifact of a retention pass: its policy and its counts, nothing else."""
    rows = [[f.name, str(getattr(counts, f.name))] for f in fields(counts)]
    return (
        f"# Privacy retention {retention_reference(as_of)}\n\n"
        f"Personal data kept {org.privacy.keep_personal_data_days} days after closure, "
        f"uploads {org.privacy.keep_uploads_days} days.\n\n"
        + "\n".join(table(["erased", "count"], rows))
    )

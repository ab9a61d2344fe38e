"""Closing an open complaint so that its complainant's personal data can be erased: its
waiting steps are cancelled and its run is to be cancelled in Prefect (ISO 10002 7.9: the
complaint is closed, with the reason in its record)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind, Resolution, RunStatus, Stage, StepStatus
from complaints.intake import service
from complaints.models import Complaint, Step


def close_to_erase(
    session: Session, complaint: Complaint, *, by: str, reason: str, now: datetime
) -> None:
    """Close an open complaint as withdrawn, cancel its waiting steps and ask for its run
    to be cancelled (the web app's loop does it: the domain does not talk to Prefect)."""
    if complaint.stage is Stage.CLOSED:
        return
    session.execute(
        update(Step)
        .where(Step.complaint_id == complaint.id, Step.status == StepStatus.OPEN)
        .values(status=StepStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    service.close(session, complaint.id, Resolution.WITHDRAWN, {"by": by, "reason": reason})
    complaint.closed_at = now
    complaint.run_status = RunStatus.CANCEL


def runs_to_cancel(session: Session) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """Return the complaints closed to erase whose run is still to be cancelled."""
    rows = session.execute(
        select(Complaint.id, Complaint.flow_run_id).where(Complaint.run_status == RunStatus.CANCEL)
    )
    return [(row.id, row.flow_run_id) for row in rows]


def note_run_cancelled(session: Session, complaint_id: uuid.UUID) -> None:
    """Record that a complaint's run was cancelled (or never started)."""
    complaint = session.get_one(Complaint, complaint_id)
    if complaint.run_status is RunStatus.CANCEL:
        complaint.run_status = RunStatus.CANCELLED
        record_event(session, complaint_id, EventKind.RUN_CANCELLED)

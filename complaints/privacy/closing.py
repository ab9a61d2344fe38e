"""An erased complaint's run: an open complaint is closed first, so that its complainant's
personal data can be erased (ISO 10002 7.9: closed, with the reason in its record), and
its run is then to be cancelled if it still waits and forgotten in Prefect."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind, Resolution, RunStatus, Stage, StepStatus
from complaints.intake import service
from complaints.models import Complaint, Step

# Runs forgotten per round of the web app's loop (a retention pass may erase many).
PER_ROUND = 50


def close_to_erase(
    session: Session, complaint: Complaint, *, by: str, reason: str, now: datetime
) -> None:
    """Close an open complaint as withdrawn, with the reason, and cancel its waiting steps."""
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


def forget_run(complaint: Complaint) -> None:
    """Ask for an erased complaint's run to be forgotten in Prefect (the web app's loop
    does it: the domain does not talk to Prefect)."""
    complaint.run_status = RunStatus.FORGET


def runs_to_forget(session: Session) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """Return erased complaints whose run is still to be forgotten (complaint, run)."""
    rows = session.execute(
        select(Complaint.id, Complaint.flow_run_id)
        .where(Complaint.run_status == RunStatus.FORGET)
        .limit(PER_ROUND)
    )
    return [(row.id, row.flow_run_id) for row in rows]


def note_run_forgotten(session: Session, complaint_id: uuid.UUID) -> None:
    """Record that a complaint's run was cancelled (if it waited) and forgotten in Prefect."""
    complaint = session.get_one(Complaint, complaint_id)
    if complaint.run_status is RunStatus.FORGET:
        complaint.run_status = RunStatus.FORGOTTEN
        record_event(session, complaint_id, EventKind.RUN_FORGOTTEN)

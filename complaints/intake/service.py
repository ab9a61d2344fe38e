"""State changes of complaints: intake, run bookkeeping, stage changes and closing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints import repository
from complaints.audit import record_event
from complaints.enums import EventKind, Resolution, RunStatus, Stage
from complaints.intake.schemas import ComplaintIn
from complaints.models import Complaint, ReferenceCounter, Step, utcnow
from complaints.organization import Organization


class ComplaintNotFound(LookupError):
    pass


def next_references(session: Session, year: int, count: int) -> list[str]:
    """Hand out the next ``count`` references of a year, in order (one counter update)."""
    for _ in range(3):
        bumped = session.execute(
            update(ReferenceCounter)
            .where(ReferenceCounter.year == year)
            .values(last=ReferenceCounter.last + count)
            .returning(ReferenceCounter.last),
            # No loaded counter to keep in step: skip the ORM's evaluation of the change.
            execution_options={"synchronize_session": False},
        ).scalar_one_or_none()
        if bumped is not None:
            return [f"C-{year}-{number:06d}" for number in range(bumped - count + 1, bumped + 1)]
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(year=year, last=0))
        except IntegrityError:  # another intake created the year's counter first
            continue
    raise RuntimeError("could not allocate a complaint reference")


def file_complaint(
    session: Session, data: ComplaintIn, org: Organization, *, now: datetime | None = None
) -> Complaint:
    """Record a complaint, give it a reference and assign it to a department and handler."""
    return file_complaints(session, [data], org, now=now)[0]


def file_complaints(
    session: Session,
    items: Sequence[ComplaintIn],
    org: Organization,
    *,
    now: datetime | None = None,
    received_by: Sequence[str] | None = None,
) -> list[Complaint]:
    """Record complaints received together (in one transaction, references in order);
    ``received_by`` names who filed each (the complainant, by default; an integration)."""
    received_at = now or utcnow()
    references = next_references(session, received_at.year, len(items))
    complaints = []
    filers = received_by or ["complainant"] * len(items)
    for data, reference, filer in zip(items, references, filers, strict=True):
        department = org.department_for(data.product)
        complaint = Complaint(
            id=uuid.uuid4(),
            reference=reference,
            received_at=received_at,
            complainant_name=data.complainant.name,
            complainant_email=str(data.complainant.email),
            complainant_phone=data.complainant.phone,
            locale=data.complainant.locale,
            channel=data.channel,
            product=data.product,
            product_family=org.classification.family_of(data.product),
            description=data.description,
            requested_remedy=data.requested_remedy,
            occurred_at=data.occurred_at,
            department=department.key,
            handler=department.handlers[0],
            stage=Stage.RECEIVED,
            run_status=RunStatus.PENDING,
        )
        session.add(complaint)  # written with its first event, all in one flush
        record_event(
            session,
            complaint.id,
            EventKind.COMPLAINT_RECEIVED,
            actor=filer,
            channel=data.channel.value,
            data={"department": department.key, "handler": complaint.handler},
            at=received_at,
            first=True,
            flush=False,
        )
        complaints.append(complaint)
    session.flush()
    return complaints


def require_complaint(session: Session, complaint_id: uuid.UUID) -> Complaint:
    """Return a complaint or raise ComplaintNotFound."""
    complaint = repository.get_complaint(session, complaint_id)
    if complaint is None:
        raise ComplaintNotFound(str(complaint_id))
    return complaint


def mark_run_started(session: Session, complaint_id: uuid.UUID, flow_run_id: uuid.UUID) -> None:
    """Remember the Prefect run a complaint runs as."""
    complaint = require_complaint(session, complaint_id)
    if complaint.run_status is RunStatus.STARTED:
        return
    complaint.run_status = RunStatus.STARTED
    complaint.flow_run_id = flow_run_id
    complaint.run_start_error = None
    record_event(
        session, complaint_id, EventKind.RUN_STARTED, data={"flow_run_id": str(flow_run_id)}
    )


def note_run_start_failure(session: Session, complaint_id: uuid.UUID, error: str) -> None:
    """Count a failed attempt to start a complaint's run (it is retried)."""
    complaint = require_complaint(session, complaint_id)
    complaint.run_start_attempts += 1
    complaint.run_start_error = error[:500]


def note_run_restarted(session: Session, complaint_id: uuid.UUID, previous_state: str) -> None:
    """Record that a crashed or abandoned run was started again."""
    record_event(
        session, complaint_id, EventKind.RUN_RESTARTED, data={"previous_state": previous_state}
    )


def note_run_repaired(session: Session, complaint_id: uuid.UUID, waited_at: str) -> None:
    """Record that the run was found waiting where it never should (a step already taken,
    or no step at all while the complaint is open) and was started again."""
    record_event(session, complaint_id, EventKind.RUN_REPAIRED, data={"waited_at": waited_at})


def note_resume_attempt(session: Session, step_id: uuid.UUID, outcome: str) -> None:
    """Count an attempt to resume a run at a decided step, with its outcome."""
    step = session.get_one(Step, step_id)
    step.resume_attempts += 1
    step.resume_error = None if outcome == "resumed" else outcome


def move_to_stage(session: Session, complaint_id: uuid.UUID, stage: Stage) -> bool:
    """Move a complaint to a stage; return False if it was there already."""
    complaint = require_complaint(session, complaint_id)
    if complaint.stage is stage:
        return False
    previous = complaint.stage
    complaint.stage = stage
    record_event(
        session,
        complaint_id,
        EventKind.STAGE_CHANGED,
        data={"from": previous.value, "to": stage.value},
    )
    return True


def close(
    session: Session,
    complaint_id: uuid.UUID,
    resolution: Resolution,
    record: dict[str, Any] | None = None,
) -> bool:
    """Close a complaint with its final record; return False if it was closed already."""
    complaint = require_complaint(session, complaint_id)
    if complaint.stage is Stage.CLOSED:
        return False
    complaint.resolution = resolution
    complaint.closed_at = utcnow()
    move_to_stage(session, complaint_id, Stage.CLOSED)
    record_event(
        session,
        complaint_id,
        EventKind.COMPLAINT_CLOSED,
        data={"resolution": resolution.value, **(record or {})},
    )
    return True


def reopen(session: Session, complaint: Complaint, *, reason: str, by: str) -> bool:
    """Reopen a closed complaint for new actions; its run is started again.

    Returns False if the complaint is not closed (reopened already, or never closed).
    """
    # An erased complaint has no complainant left to handle it for (complaints.privacy).
    if complaint.stage is not Stage.CLOSED or complaint.erased_at is not None:
        return False
    complaint.closed_at = None
    complaint.resolution = None
    move_to_stage(session, complaint.id, Stage.CORRECTIVE_ACTION)
    complaint.run_status = RunStatus.RESTART
    record_event(
        session, complaint.id, EventKind.COMPLAINT_REOPENED, actor=by, data={"reason": reason}
    )
    return True


def note_reopened_run_started(session: Session, complaint_id: uuid.UUID) -> None:
    """Record that a reopened complaint's run was started again."""
    complaint = require_complaint(session, complaint_id)
    complaint.run_status = RunStatus.STARTED
    record_event(session, complaint_id, EventKind.RUN_RESUMED_AFTER_REOPENING)

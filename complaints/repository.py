"""Every query the application makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select, tuple_
from sqlalchemy.orm import Session

from complaints.enums import EventKind, OutboxStatus, RunStatus, Stage, StepStatus
from complaints.models import (
    Attachment,
    Base,
    Complaint,
    Event,
    LinkToken,
    OutboxMessage,
    Step,
)


def get_complaint(session: Session, complaint_id: uuid.UUID) -> Complaint | None:
    """Return a complaint by id."""
    return session.get(Complaint, complaint_id)


def complaint_of_run(session: Session, flow_run_id: uuid.UUID) -> Complaint | None:
    """Return the complaint a Prefect flow run belongs to."""
    return session.scalars(select(Complaint).where(Complaint.flow_run_id == flow_run_id)).first()


def get_step(session: Session, complaint_id: uuid.UUID, key: str) -> Step | None:
    """Return a complaint's step by its suspend key."""
    return session.scalars(
        select(Step).where(Step.complaint_id == complaint_id, Step.key == key)
    ).first()


def settled_decisions(session: Session, complaint_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """Return the decisions of a complaint's steps that its run has taken, by step key:
    final, so a replayed run may read them all at once."""
    rows = session.execute(
        select(Step.key, Step.decision).where(
            Step.complaint_id == complaint_id,
            Step.status == StepStatus.DECIDED,
            Step.applied_at.is_not(None),
            Step.decision.is_not(None),
        )
    )
    return {key: dict(decision) for key, decision in rows if decision is not None}


def find_token(session: Session, token_hash: str) -> LinkToken | None:
    """Return the link token stored under a hash."""
    return session.scalars(select(LinkToken).where(LinkToken.token_hash == token_hash)).first()


def complaints_awaiting_run(session: Session, limit: int = 50) -> Sequence[Complaint]:
    """Return complaints whose Prefect run has not been created yet."""
    return session.scalars(
        select(Complaint)
        .where(Complaint.run_status == RunStatus.PENDING)
        .order_by(Complaint.received_at)
        .limit(limit)
    ).all()


def decided_steps_not_applied(session: Session, limit: int = 50) -> Sequence[Step]:
    """Return steps decided through the web whose flow has not received the decision yet."""
    return session.scalars(
        select(Step)
        .where(Step.status == StepStatus.DECIDED, Step.applied_at.is_(None))
        .order_by(Step.decided_at)
        .limit(limit)
    ).all()


def events_of(session: Session, complaint_id: uuid.UUID) -> Sequence[Event]:
    """Return a complaint's audit trail in order."""
    return session.scalars(
        select(Event).where(Event.complaint_id == complaint_id).order_by(Event.seq)
    ).all()


def outbox_messages(
    session: Session, *, complaint_id: uuid.UUID | None = None, since: datetime | None = None
) -> Sequence[OutboxMessage]:
    """Return queued and sent messages, oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at)
    if complaint_id is not None:
        query = query.where(OutboxMessage.complaint_id == complaint_id)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    return session.scalars(query).all()


def failed_outbox_messages(session: Session) -> Sequence[OutboxMessage]:
    """Return messages that could not be delivered and need an operator."""
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).all()


def operational_counts(session: Session) -> dict[str, int]:
    """Return counts an operator watches: runs not started, mail waiting or failed
    (one round trip: a health probe may come often)."""

    def count(model: type[Base], condition: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(model).where(condition).scalar_subquery()

    counts = {
        "runs_pending": count(Complaint, Complaint.run_status == RunStatus.PENDING),
        "mail_pending": count(OutboxMessage, OutboxMessage.status == OutboxStatus.PENDING),
        "mail_failed": count(OutboxMessage, OutboxMessage.status == OutboxStatus.FAILED),
        "decisions_not_applied": count(
            Step, (Step.status == StepStatus.DECIDED) & Step.applied_at.is_(None)
        ),
    }
    row = session.execute(select(*(query.label(name) for name, query in counts.items()))).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def restarts_of(session: Session, complaint_id: uuid.UUID) -> int:
    """Return how many times a complaint's run was started again."""
    query = select(func.count()).where(
        Event.complaint_id == complaint_id, Event.kind == EventKind.RUN_RESTARTED
    )
    return int(session.scalar(query) or 0)


def attachments_of(session: Session, complaint_id: uuid.UUID) -> Sequence[Attachment]:
    """Return the files uploaded for a complaint, oldest first."""
    return session.scalars(
        select(Attachment)
        .where(Attachment.complaint_id == complaint_id)
        .order_by(Attachment.uploaded_at)
    ).all()


def events_of_kind(session: Session, complaint_id: uuid.UUID, kind: EventKind) -> Sequence[Event]:
    """Return a complaint's events of one kind, in order."""
    return session.scalars(
        select(Event)
        .where(Event.complaint_id == complaint_id, Event.kind == kind)
        .order_by(Event.seq)
    ).all()


def has_event(session: Session, complaint_id: uuid.UUID, kind: EventKind, **data: Any) -> bool:
    """Return whether a complaint has an event of a kind whose data hold ``data``."""
    return any(
        all(event.data.get(name) == value for name, value in data.items())
        for event in events_of_kind(session, complaint_id, kind)
    )


def complaints_to_restart(session: Session, limit: int = 50) -> Sequence[Complaint]:
    """Return reopened complaints whose finished run must be started again."""
    return session.scalars(
        select(Complaint).where(Complaint.run_status == RunStatus.RESTART).limit(limit)
    ).all()


def stranded_runs(
    session: Session, waiting: dict[uuid.UUID, str | None]
) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """Return (complaint, run, where) for each open complaint whose run waits where it
    never should: suspended at a step the run has already taken, or ended (``None``).

    ``waiting`` maps runs to the step key each is suspended at (None: the run ended).
    """
    if not waiting:
        return []
    open_runs = session.execute(
        select(Complaint.id, Complaint.flow_run_id).where(
            Complaint.flow_run_id.in_(list(waiting)),
            Complaint.stage != Stage.CLOSED,
            Complaint.run_status == RunStatus.STARTED,
        )
    ).all()
    # One query for every step the runs wait at (not one per run): taken ones are wrong.
    waits_at = [(c, waiting[r]) for c, r in open_runs if waiting[r] is not None]
    taken: set[tuple[uuid.UUID, str]] = set()
    if waits_at:
        taken = set(
            session.execute(
                select(Step.complaint_id, Step.key).where(
                    tuple_(Step.complaint_id, Step.key).in_(waits_at),
                    Step.applied_at.is_not(None),
                )
            ).tuples()
        )
    stranded = []
    for complaint_id, run_id in open_runs:
        key = waiting[run_id]
        if key is None:
            stranded.append((complaint_id, run_id, "(ended)"))
        elif (complaint_id, key) in taken:
            stranded.append((complaint_id, run_id, key))
    return stranded

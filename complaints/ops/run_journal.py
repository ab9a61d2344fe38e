"""What a flow run has done, in our database: replay reads it, stale executions are fenced.

A suspended run resumes by executing again from the top. Every task it finished before
returns its recorded result from here (one read per execution, not a Prefect task run
per task per resume), so Prefect sees only the work that is new since the last resume.

A run is also started again when it only *looks* dead (its server stalled); its old
process may then wake and go on. Each execution claims the run when it starts; the
latest claim wins, and an execution that finds another's claim must stop without
acting or touching the run's state (:class:`Superseded`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from complaints.models import JournalEntry, RunExecution


class Superseded(Exception):
    """A newer execution of the same flow run has started: this one must stop."""


def claim(session: Session, flow_run_id: uuid.UUID, *, now: datetime) -> uuid.UUID:
    """Make a new execution the run's only acting one; return its id."""
    execution_id = uuid.uuid4()
    current = session.get(RunExecution, flow_run_id, with_for_update=True)
    if current is None:
        session.add(
            RunExecution(flow_run_id=flow_run_id, execution_id=execution_id, started_at=now)
        )
    else:
        current.execution_id, current.started_at = execution_id, now
    session.flush()
    return execution_id


def ensure_current(session: Session, flow_run_id: uuid.UUID, execution_id: uuid.UUID) -> None:
    """Raise :class:`Superseded` unless ``execution_id`` is still the run's acting one.

    The row is locked until the transaction ends, so a newer claim waits for a write
    made under this check, and the check of a stale execution cannot pass meanwhile.
    """
    current = session.get(RunExecution, flow_run_id, with_for_update=True, populate_existing=True)
    if current is None or current.execution_id != execution_id:
        raise Superseded(str(flow_run_id))


def entries(session: Session, flow_run_id: uuid.UUID) -> dict[str, Any]:
    """Return every recorded result of a run, by task key."""
    rows = session.execute(
        select(JournalEntry.key, JournalEntry.result).where(JournalEntry.flow_run_id == flow_run_id)
    )
    return {key: result for key, result in rows}


def record(
    session: Session, flow_run_id: uuid.UUID, key: str, result: Any, *, now: datetime
) -> None:
    """Record a finished task's result (a second record of the same task keeps the first)."""
    if session.get(JournalEntry, (flow_run_id, key)) is None:
        session.add(JournalEntry(flow_run_id=flow_run_id, key=key, result=result, recorded_at=now))


def forget(session: Session, flow_run_id: uuid.UUID) -> None:
    """Remove a finished run's record (a run that is never replayed needs none)."""
    session.execute(delete(JournalEntry).where(JournalEntry.flow_run_id == flow_run_id))
    session.execute(delete(RunExecution).where(RunExecution.flow_run_id == flow_run_id))

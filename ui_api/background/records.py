"""What the background jobs read and write in our database, each call in a worker thread.

Database work runs in threads: the event loop serves requests and must never wait on a
database lock (a request's own session may hold it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from complaints import repository
from complaints.enums import Stage, StepKind
from complaints.management.minutes import decided_minutes_not_applied
from complaints.privacy.closing import runs_to_forget
from complaints.steps.catalogue import spec_of
from complaints.steps.contracts import REDACTED

T = TypeVar("T")


@dataclass(frozen=True)
class DecidedStep:
    """A step decided through the web whose run has not received the decision yet."""

    step_id: uuid.UUID
    flow_run_id: uuid.UUID
    key: str
    run_input: dict[str, Any]


class Records:
    """Our database, as the background jobs use it."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    async def read(self, query: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.sessions() as session:
                return query(session)

        return await asyncio.to_thread(run)

    async def write(self, change: Callable[..., Any], *args: Any) -> None:
        def run() -> None:
            with self.sessions.begin() as session:
                change(session, *args)

        await asyncio.to_thread(run)

    async def awaiting_run(self) -> list[tuple[uuid.UUID, str]]:
        """Return the complaints whose run is not created yet (id, reference)."""
        return await self.read(
            lambda s: [(c.id, c.reference) for c in repository.complaints_awaiting_run(s)]
        )

    async def decided_steps(self) -> list[DecidedStep]:
        def query(session: Session) -> list[DecidedStep]:
            return [
                DecidedStep(s.id, s.complaint.flow_run_id, s.key, for_prefect(s.kind, s.decision))
                for s in repository.decided_steps_not_applied(session)
                if s.complaint.flow_run_id is not None
            ]

        return await self.read(query)

    async def decided_minutes(self) -> list[tuple[uuid.UUID, dict[str, Any]]]:
        """Return the runs of management reviews whose minutes were recorded through
        the web and not yet taken (run id, the minutes as the run receives them)."""
        return await self.read(decided_minutes_not_applied)

    async def open_complaint_of(self, flow_run_id: uuid.UUID) -> uuid.UUID | None:
        def query(session: Session) -> uuid.UUID | None:
            complaint = repository.complaint_of_run(session, flow_run_id)
            return complaint.id if complaint and complaint.stage is not Stage.CLOSED else None

        return await self.read(query)

    async def restarts_of(self, complaint_id: uuid.UUID) -> int:
        return await self.read(lambda s: repository.restarts_of(s, complaint_id))

    async def stranded(
        self, waiting: dict[uuid.UUID, str | None]
    ) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
        return await self.read(lambda s: repository.stranded_runs(s, waiting))

    async def to_forget(self) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        """Return erased complaints whose run is still to be forgotten in Prefect."""
        return await self.read(runs_to_forget)

    async def reopened(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        return await self.read(
            lambda s: [
                (c.id, c.flow_run_id)
                for c in repository.complaints_to_restart(s)
                if c.flow_run_id is not None
            ]
        )


def for_prefect(kind: StepKind, decision: dict[str, Any] | None) -> dict[str, Any]:
    """Return a decision as the run receives it: private text stays in our database.

    The flow takes the recorded decision from the database, not from the run input, so
    Prefect needs only a valid input of the step's contract.
    """
    contract = spec_of(kind).contract
    return {
        name: REDACTED if name in contract.private_fields and value else value
        for name, value in (decision or {}).items()
    }

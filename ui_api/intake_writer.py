"""Intake in batches: the complaints that arrive together are recorded in one transaction.

Each complaint's transaction holds the year's reference counter from its first statement
to its commit, so intakes one by one queue behind each other, each paying its own round
trips and its own commit. Here one writer takes everything that is waiting, records it in
one transaction (one counter update, the inserts in one flush, one commit) and answers
each request; a burst costs a few transactions a second instead of hundreds. A request
is answered only after its complaint is committed, as before.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from complaints.intake import service
from complaints.intake.schemas import ComplaintCreated, ComplaintIn
from complaints.mail.addresses import status_url
from complaints.organization import load_organization
from complaints.settings import Settings

logger = logging.getLogger("complaints.intake")
MOST_PER_BATCH = 200


@dataclass
class _Waiting:
    data: ComplaintIn
    answer: asyncio.Future[ComplaintCreated]
    received_by: str = "complainant"


class IntakeWriter:
    """Records complaints for the requests of one event loop, batched."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def file(
        self, data: ComplaintIn, *, received_by: str = "complainant"
    ) -> ComplaintCreated:
        """Record one complaint (with whatever else is waiting); return once committed."""
        waiting = _Waiting(data, asyncio.get_running_loop().create_future(), received_by)
        self._waiting.append(waiting)
        if self._writer is None or self._writer.done():
            # The writer lives while complaints wait and ends with the last of them: no
            # task outlives the requests (the tests serve the app from several loops).
            self._writer = asyncio.create_task(self._write_while_waiting())
        return await waiting.answer

    async def _write_while_waiting(self) -> None:
        while self._waiting:
            batch = self._waiting[:MOST_PER_BATCH]
            del self._waiting[:MOST_PER_BATCH]
            try:
                created = await run_in_threadpool(self._record, batch)
            except Exception as exc:
                if len(batch) == 1:
                    _fail(batch[0], exc)
                    continue
                # One bad complaint must not fail the others: each alone, so only its own
                # request sees the error.
                for waiting in batch:
                    try:
                        [one] = await run_in_threadpool(self._record, [waiting])
                    except Exception as exc:
                        _fail(waiting, exc)
                    else:
                        _answer(waiting, one)
                continue
            for waiting, answer in zip(batch, created, strict=True):
                _answer(waiting, answer)

    def _record(self, batch: list[_Waiting]) -> list[ComplaintCreated]:
        org = load_organization(self.settings.organization_file)
        with self.sessions.begin() as db:
            return [
                ComplaintCreated(
                    id=complaint.id,
                    reference=complaint.reference,
                    status_url=status_url(self.settings, complaint),
                )
                for complaint in service.file_complaints(
                    db,
                    [w.data for w in batch],
                    org,
                    received_by=[w.received_by for w in batch],
                )
            ]


def _fail(waiting: _Waiting, exc: Exception) -> None:
    # The kind only: a database error's text may quote the complainant's data.
    logger.error("intake failed: %s", type(exc).__name__)
    _answer(waiting, error=RuntimeError("intake failed"))


def _answer(
    waiting: _Waiting, created: ComplaintCreated | None = None, *, error: Exception | None = None
) -> None:
    if waiting.answer.done():  # the request went away (client disconnected)
        return
    if error is not None:
        waiting.answer.set_exception(error)
    else:
        assert created is not None
        waiting.answer.set_result(created)

"""Waking the warm worker the moment Prefect schedules a run (a decision resumed it),
rather than at its next poll."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import anyio
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.logging import get_logger

logger = get_logger("complaints.warm_worker")
# Every state change of a flow run is an event; those into a Scheduled-type state
# (resumed, awaiting retry, created) mean there may be work for the pool.
RUN_STATE_EVENTS = EventFilter(event=EventNameFilter(prefix=["prefect.flow-run."]))
RECONNECT_SECONDS = 5.0
EVENT_LOOKUP_DELAYS = (0.0, 0.05, 0.1, 0.2, 0.4)  # seconds before each look


class Worker(Protocol):
    """A worker that takes the pool's scheduled runs (Prefect's worker base class does)."""

    async def get_and_submit_flow_runs(self) -> Sequence[Any]: ...


async def wake_on_scheduled_runs(worker: Worker) -> None:
    """Look for work the moment Prefect schedules a run (a decision resumed it), not at
    the next poll. The poll stays: events that are missed only cost the poll's delay."""
    lookup = ScheduledRuns(worker)
    async with anyio.create_task_group() as group:
        group.start_soon(lookup.take)
        while True:
            try:
                async with get_events_subscriber(filter=RUN_STATE_EVENTS) as events:
                    async for event in events:
                        if event.resource.get("prefect.state-type") == "SCHEDULED":
                            lookup.expect(event.resource.id.removeprefix("prefect.flow-run."))
            except Exception as exc:  # the poll carries on; subscribe again shortly
                logger.warning("run events unavailable (%s); polling only", type(exc).__name__)
                await anyio.sleep(RECONNECT_SECONDS)


class ScheduledRuns:
    """The runs events said were scheduled, asked for until the worker has taken them.

    An event can come before the pool's query returns its run, so the worker asks again
    a few times (``EVENT_LOOKUP_DELAYS``); a run another worker took, or one beyond the
    pool's limit, is left to the poll. Events that come meanwhile join the same round of
    asking: a burst of new runs costs a few queries, not one per run.
    """

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.expected: set[str] = set()
        self.noted = anyio.Event()

    def expect(self, run_id: str) -> None:
        self.expected.add(run_id)
        self.noted.set()

    async def take(self) -> None:
        while True:
            await self.noted.wait()
            self.noted = anyio.Event()
            for delay in EVENT_LOOKUP_DELAYS:
                await anyio.sleep(delay)
                try:
                    taken = await self.worker.get_and_submit_flow_runs()
                except Exception as exc:  # Prefect away: the poll carries on
                    logger.warning("looking for scheduled runs failed (%s)", type(exc).__name__)
                    break
                self.expected -= {str(run.id) for run in taken}
                if not self.expected:
                    break
            else:
                self.expected.clear()  # left to the poll

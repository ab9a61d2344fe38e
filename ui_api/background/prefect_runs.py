"""The web app's one adapter to Prefect: the complaint runs it starts, resumes and
restarts (and, in :mod:`.review_schedules`, the review runs and schedules quality
leads start and keep).

Nothing else on the web side imports Prefect (what Prefect keeps of a run's
suspensions is :mod:`suspensions`, shared with the flow side). One thing here leans on
Prefect's internals, checked against the installed release by
``tests/test_prefect_contract.py``: the events filter, which the client offers no method
for (its HTTP client is used directly).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.client.schemas.sorting import FlowRunSort, TaskRunSort
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.states import AwaitingRetry, Cancelled, Crashed

import suspensions

__all__ = ["FlowRun", "PrefectRuns", "StateType", "connect", "on_suspensions"]

logger = logging.getLogger("complaints.orchestration")
# The release whose internals this module was checked against (see the docstring).
CHECKED_WITH_PREFECT = "3.9.1"
RUNS_PER_ROUND = 200  # runs a sweep reads from Prefect per round
connect = get_client
# A run suspending (at a step, or for the minutes) is a state change, and so an event.
SUSPENSIONS = EventFilter(event=EventNameFilter(name=["prefect.flow-run.Suspended"]))
RESUBSCRIBE_SECONDS = 5.0


async def on_suspensions(notice: Callable[[], None]) -> None:
    """Call ``notice`` each time a flow run suspends, as Prefect's event stream tells,
    until cancelled. Without the stream (Prefect away), nothing is noticed and the
    caller's own polling carries on; it subscribes again shortly."""
    while True:
        try:
            async with get_events_subscriber(filter=SUSPENSIONS) as events:
                async for _event in events:
                    notice()
        except Exception as exc:
            logger.info("run events unavailable (%s); subscribing again", type(exc).__name__)
            await asyncio.sleep(RESUBSCRIBE_SECONDS)


class Deployment:
    """One deployment, through one Prefect client (its id read once)."""

    def __init__(self, client: PrefectClient, deployment_name: str) -> None:
        self.client = client
        self.deployment_name = deployment_name
        self._deployment_id: uuid.UUID | None = None

    async def deployment_id(self) -> uuid.UUID:
        if self._deployment_id is None:
            deployment = await self.client.read_deployment_by_name(self.deployment_name)
            self._deployment_id = deployment.id
        return self._deployment_id


class PrefectRuns(Deployment):
    """The complaint runs of one deployment, through one Prefect client."""

    def __init__(self, client: PrefectClient, deployment_name: str) -> None:
        super().__init__(client, deployment_name)
        self._offsets: dict[tuple[StateType, ...], int] = {}

    async def create(self, complaint_id: uuid.UUID, reference: str) -> uuid.UUID:
        """Create a complaint's run (once: the idempotency key is the complaint's)."""
        flow_run = await self.client.create_flow_run_from_deployment(
            await self.deployment_id(),
            # Ids and references only: no personal data ever reaches Prefect.
            parameters={"complaint_id": str(complaint_id)},
            name=reference,
            idempotency_key=f"complaint-{complaint_id}",
            tags=["complaint"],
        )
        return flow_run.id

    async def read(self, flow_run_id: uuid.UUID) -> FlowRun:
        return await self.client.read_flow_run(flow_run_id)

    async def resume(
        self, flow_run_id: uuid.UUID, key: str, run_input: dict[str, Any]
    ) -> str | None:
        """Resume a run suspended at ``key``; return the outcome, or None while the run
        is not suspended there (yet, or any more)."""
        flow_run = await self.read(flow_run_id)
        if pause_key(flow_run) != key:
            return None
        result = await self.client.resume_flow_run(flow_run_id, run_input=run_input)
        if result.status == SetStateStatus.ACCEPT:
            return "resumed"
        reason = getattr(result.details, "reason", "") or result.status.value
        return f"{result.status.value}: {reason}"[:500]

    async def next_page(self, *states: StateType) -> list[FlowRun]:
        """Return the next page of complaint runs in the given states.

        Each kind of sweep pages on from where its last round stopped and starts over
        after the last page: every run is looked at within a few rounds however many
        there are (10,000 waiting complaints are 50 pages), at a bounded cost per round.
        """
        sweep = tuple(states)
        offset = self._offsets.get(sweep, 0)
        runs = await self.client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(states)))
            ),
            deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[await self.deployment_id()])
            ),
            sort=FlowRunSort.ID_DESC,
            limit=RUNS_PER_ROUND,
            offset=offset,
        )
        self._offsets[sweep] = offset + RUNS_PER_ROUND if len(runs) == RUNS_PER_ROUND else 0
        return runs

    async def start_again(self, run: FlowRun, *, crashed: str | None = None) -> None:
        """Make a run execute again from the top (``crashed``: first mark a run that looks
        alive as crashed, with that message)."""
        await self.forget_unanswered_suspensions(run)
        if crashed is not None:
            await self.client.set_flow_run_state(run.id, Crashed(message=crashed), force=True)
        await self.client.set_flow_run_state(run.id, AwaitingRetry(), force=True)

    async def forget(self, flow_run_id: uuid.UUID) -> bool:
        """Cancel an erased complaint's run if it waits (Suspended: forcing the state ends
        it without waking it) and delete every input Prefect stored of it; return False
        while the run is executing (it is left to reach its next wait or its end)."""
        run = await self.read(flow_run_id)
        if run.state is not None and run.state.type in (StateType.RUNNING, StateType.PENDING):
            return False
        if not is_final(run):
            await self.client.set_flow_run_state(
                flow_run_id,
                Cancelled(message="complaint closed to erase personal data"),
                force=True,
            )
        await suspensions.forget_all(self.client, flow_run_id)
        return True

    async def forget_unanswered_suspensions(self, run: FlowRun) -> None:
        """Let a run that is started again wait again at the steps nobody answered."""
        forgotten = await suspensions.forget_unanswered(self.client, run.id)
        if forgotten:
            logger.info("run %s will wait again at %s", run.id, sorted(forgotten))

    async def last_sign_of_life(self, run: FlowRun) -> datetime:
        """Return when a run last showed it was alive: its state, its last heartbeat, or
        a task of it starting or finishing."""
        assert run.state is not None
        response = await self.client._client.post(
            "/events/filter",
            json={
                "filter": {
                    "any_resource": {"id": [f"prefect.flow-run.{run.id}"]},
                    "event": {"name": ["prefect.flow-run.heartbeat"]},
                    "order": "DESC",
                },
                "limit": 1,
            },
        )
        beats = response.json().get("events", [])
        signs = [run.state.timestamp]
        if beats:
            signs.append(datetime.fromisoformat(beats[0]["occurred"]))
        # Heartbeats travel as events, which a busy server may drop; every task a run
        # starts or finishes is a state change through the API: a second sign of life.
        task_runs = await self.client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])),
            sort=TaskRunSort.EXPECTED_START_TIME_DESC,
            limit=5,
        )
        signs += [t.state.timestamp for t in task_runs if t.state is not None]
        return max(signs)


def pause_key(run: FlowRun) -> str | None:
    """Return the step key a suspended run waits at (None for a run not suspended)."""
    if run.state is None or not run.state.is_paused():
        return None
    return run.state.state_details.pause_key or ""


def is_final(run: FlowRun) -> bool:
    return run.state is not None and run.state.is_final()

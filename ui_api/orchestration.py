"""The only place the web app talks to Prefect: start runs, resume them, deliver mail.

A background loop makes the database and Prefect agree. Intake and decisions are
committed first; the loop then starts each pending complaint's run and resumes each
run whose step was decided, retrying while Prefect is slow or down. Starting is
idempotent (one idempotency key per complaint) and a run is resumed only while it is
suspended at the decided step's key, so retries and several web processes never start
a run twice or resume one twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
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
from prefect.states import AwaitingRetry, Crashed
from sqlalchemy.orm import Session, sessionmaker

from complaints import outbox, repository, service
from complaints.contracts import REDACTED, STEP_INPUTS
from complaints.enums import DecisionChannel, Stage, StepKind
from complaints.models import utcnow
from complaints.settings import Settings

logger = logging.getLogger("complaints.orchestration")
REVIVAL_INTERVAL_SECONDS = 5.0
RUNS_PER_ROUND = 200  # runs a revival sweep reads from Prefect per round
# A decision often arrives while its run is still on the way to the suspend (its email
# went out first): the loop looks again this soon, then twice as late each round.
FIRST_RECHECK_SECONDS = 0.05
# Where Prefect keeps a suspension's input form and the answer it was resumed with:
# "suspended-<key>-schema", "suspended-<key>-description", "suspended-<key>-response".
SUSPENDED_INPUT_PREFIX = "suspended-"
RESPONSE_PART = "response"


class Orchestrator:
    """Keeps Prefect in step with the database, in a background loop."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deployment_id: uuid.UUID | None = None
        self._next_revival = 0.0
        self._not_yet_suspended = False
        self._recheck = FIRST_RECHECK_SECONDS
        self._offsets: dict[tuple[StateType, ...], int] = {}

    def wake(self) -> None:
        """Ask the loop to run now (callable from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Reconcile until ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        async with get_client() as client:
            while not stop.is_set():
                try:
                    await self.reconcile_once(client)
                except Exception as exc:  # keep going: the next round retries
                    logger.warning("reconcile round failed: %s", type(exc).__name__)
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._next_round_in())

    def _next_round_in(self) -> float:
        """Seconds until the next round: soon while a decided step's run has yet to reach
        its suspend, else the interval."""
        interval = self.settings.reconcile_interval_seconds
        if not self._not_yet_suspended:
            self._recheck = FIRST_RECHECK_SECONDS
            return interval
        delay, self._recheck = self._recheck, min(2 * self._recheck, interval)
        return min(delay, interval)

    async def reconcile_once(self, client: PrefectClient) -> None:
        """Start pending runs, resume decided steps, restart reopened and dead runs,
        deliver due mail.

        Each part fails on its own: mail still goes out while Prefect is down.
        """
        parts = [self.start_pending_runs, self.resume_decided_steps, self.restart_reopened_runs]
        if time.monotonic() >= self._next_revival:
            self._next_revival = time.monotonic() + REVIVAL_INTERVAL_SECONDS
            parts += [self.restart_dead_runs, self.repair_stranded_runs]
        for part in parts:
            try:
                await part(client)
            except Exception as exc:  # the next round retries
                logger.warning("%s failed: %s", part.__name__, type(exc).__name__)
        await outbox.deliver(self.sessions, self.settings)

    async def restart_dead_runs(self, client: PrefectClient) -> None:
        """Start again the runs of open complaints that crashed or whose process vanished.

        A worker killed mid-step (or a Prefect hiccup while submitting) leaves a run
        Crashed, or Running (or Pending, if it died before the run began) with nobody
        running it. A run that Failed (the database or Prefect away for longer than a
        task's retries) is started again a few times (``run_restart_limit``), then left
        to an operator. The run executes again from the top: finished tasks return their
        results from our journal, every side effect is keyed, and an old process of the
        run that wakes after all is fenced off (:mod:`tasks.journal`), so nothing is
        repeated.
        """
        runs = await self._lifecycle_runs(
            client, StateType.CRASHED, StateType.PENDING, StateType.RUNNING, StateType.FAILED
        )
        for run in runs:
            assert run.state is not None
            # Our database first: runs of other installations, or of closed complaints,
            # cost no further calls to the Prefect API.
            complaint_id = await asyncio.to_thread(self._open_complaint_of, run.id)
            if complaint_id is None:
                continue
            live = run.state.type in (StateType.PENDING, StateType.RUNNING)
            if live and not await self._stalled(client, run):
                continue
            if run.state.type is StateType.FAILED and not await asyncio.to_thread(
                self._may_retry, complaint_id
            ):
                continue  # failed again and again: left to an operator
            await self._forget_unanswered_suspensions(client, run)
            if live:
                await client.set_flow_run_state(
                    run.id, Crashed(message="No heartbeat: its worker is gone"), force=True
                )
            await client.set_flow_run_state(run.id, AwaitingRetry(), force=True)
            await self._write(service.note_run_restarted, complaint_id, run.state.name)

    async def repair_stranded_runs(self, client: PrefectClient) -> None:
        """Check the invariant that no open complaint's run waits where nobody acts.

        A run suspended at a step it has already taken (our record says so), or ended
        while its complaint is open, would wait forever while every page says it waits.
        Each is logged as an error, recorded on the complaint, and started again: the
        replay takes every decided step from our record and waits at the open one.
        """
        runs = await self._lifecycle_runs(client, StateType.PAUSED, StateType.COMPLETED)
        waiting = {run.id: _pause_key(run) for run in runs}
        by_id = {run.id: run for run in runs}
        for complaint_id, run_id, where in await asyncio.to_thread(self._stranded, waiting):
            # The run may have been resumed and have taken its step between the two reads:
            # only a run still in the very state that was read is stranded.
            current = await client.read_flow_run(run_id)
            seen = by_id[run_id].state
            if current.state is None or seen is None or current.state.id != seen.id:
                continue
            logger.error(
                "invariant broken: run %s of complaint %s waits at %s; starting it again",
                run_id,
                complaint_id,
                where,
            )
            await self._forget_unanswered_suspensions(client, by_id[run_id])
            await client.set_flow_run_state(run_id, AwaitingRetry(), force=True)
            await self._write(service.note_run_repaired, complaint_id, where)

    def _stranded(
        self, waiting: dict[uuid.UUID, str | None]
    ) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
        with self.sessions() as session:
            return repository.stranded_runs(session, waiting)

    async def restart_reopened_runs(self, client: PrefectClient) -> None:
        """Start again the finished run of every complaint a quality lead reopened.

        The run executes again from the top: what it did returns at once (its journal,
        the recorded decisions), and it goes on with new actions.
        """
        for complaint_id, flow_run_id in await asyncio.to_thread(self._reopened):
            run = await client.read_flow_run(flow_run_id)
            if run.state is None or not run.state.is_final():
                continue  # still finishing its closing: next round
            await self._forget_unanswered_suspensions(client, run)
            await client.set_flow_run_state(flow_run_id, AwaitingRetry(), force=True)
            await self._write(service.note_reopened_run_started, complaint_id)

    def _reopened(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        with self.sessions() as session:
            return [
                (c.id, c.flow_run_id)
                for c in repository.complaints_to_restart(session)
                if c.flow_run_id is not None
            ]

    async def _forget_unanswered_suspensions(self, client: PrefectClient, run: FlowRun) -> None:
        """Let a run that is started again wait again at the steps nobody answered.

        Prefect remembers every key a run suspended at, and a suspend whose key it
        remembers returns the input given for that key at once. A run restarted after it
        suspended at a step nobody answered (it only looked stalled, or crashed right
        after) would find no input there and fail. So only the keys with an answer stay,
        and what the unanswered suspensions left (their input form) is removed, so that
        suspending there again can write it anew.
        """
        inputs = await client.filter_flow_run_input(
            run.id, key_prefix=SUSPENDED_INPUT_PREFIX, limit=1000, exclude_keys=set()
        )
        parts = [
            (i.key, *i.key.removeprefix(SUSPENDED_INPUT_PREFIX).rpartition("-")[::2])
            for i in inputs
        ]
        answered = {step for _key, step, part in parts if part == RESPONSE_PART}
        for key, step, _part in parts:
            if step not in answered:
                await client.delete_flow_run_input(run.id, key)
        keys = set(run.empirical_policy.pause_keys or set())
        if keys <= answered:
            return
        policy = run.empirical_policy.model_copy(update={"pause_keys": keys & answered})
        await client.update_flow_run(run.id, empirical_policy=policy)
        logger.info("run %s will wait again at %s", run.id, sorted(keys - answered))

    async def _stalled(self, client: PrefectClient, run: FlowRun) -> bool:
        assert run.state is not None
        response = await client._client.post(
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
        task_runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])),
            sort=TaskRunSort.EXPECTED_START_TIME_DESC,
            limit=5,
        )
        signs += [t.state.timestamp for t in task_runs if t.state is not None]
        age = (utcnow() - max(signs)).total_seconds()
        return age > self.settings.run_stall_seconds

    def _may_retry(self, complaint_id: uuid.UUID) -> bool:
        with self.sessions() as session:
            return repository.restarts_of(session, complaint_id) < self.settings.run_restart_limit

    def _open_complaint_of(self, flow_run_id: uuid.UUID) -> uuid.UUID | None:
        with self.sessions() as session:
            complaint = repository.complaint_of_run(session, flow_run_id)
            return complaint.id if complaint and complaint.stage is not Stage.CLOSED else None

    async def _lifecycle_runs(self, client: PrefectClient, *states: StateType) -> list[FlowRun]:
        """Return the next page of complaint runs in the given states.

        Each kind of sweep pages on from where its last round stopped and starts over
        after the last page: every run is looked at within a few rounds however many
        there are (10,000 waiting complaints are 50 pages), at a bounded cost per round.
        """
        sweep = tuple(states)
        offset = self._offsets.get(sweep, 0)
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(states)))
            ),
            deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[await self._deployment(client)])
            ),
            sort=FlowRunSort.ID_DESC,
            limit=RUNS_PER_ROUND,
            offset=offset,
        )
        self._offsets[sweep] = offset + RUNS_PER_ROUND if len(runs) == RUNS_PER_ROUND else 0
        return runs

    async def _deployment(self, client: PrefectClient) -> uuid.UUID:
        if self._deployment_id is None:
            deployment = await client.read_deployment_by_name(self.settings.lifecycle_deployment)
            self._deployment_id = deployment.id
        return self._deployment_id

    async def start_pending_runs(self, client: PrefectClient) -> None:
        """Create the Prefect run of every complaint that has none yet."""
        pending = await asyncio.to_thread(self._awaiting_run)
        for complaint_id, reference in pending:
            try:
                flow_run_id = await self._create_run(client, complaint_id, reference)
            except Exception as exc:
                await self._write(service.note_run_start_failure, complaint_id, type(exc).__name__)
                raise
            await self._write(service.mark_run_started, complaint_id, flow_run_id)

    # Database work runs in threads: the event loop serves requests and must never wait
    # on a database lock (a request's own session may hold it).
    def _awaiting_run(self) -> list[tuple[uuid.UUID, str]]:
        with self.sessions() as session:
            return [(c.id, c.reference) for c in repository.complaints_awaiting_run(session)]

    def _waiting_steps(self) -> list[tuple[uuid.UUID, uuid.UUID, str, dict[str, Any]]]:
        with self.sessions() as session:
            return [
                (s.id, s.complaint.flow_run_id, s.key, _for_prefect(s.kind, s.decision))
                for s in repository.decided_steps_not_applied(session)
                if s.complaint.flow_run_id is not None
            ]

    async def _write(self, change: Callable[..., Any], *args: Any) -> None:
        def run() -> None:
            with self.sessions.begin() as session:
                change(session, *args)

        await asyncio.to_thread(run)

    async def _create_run(
        self, client: PrefectClient, complaint_id: uuid.UUID, reference: str
    ) -> uuid.UUID:
        flow_run = await client.create_flow_run_from_deployment(
            await self._deployment(client),
            # Ids and references only: no personal data ever reaches Prefect.
            parameters={"complaint_id": str(complaint_id)},
            name=reference,
            idempotency_key=f"complaint-{complaint_id}",
            tags=["complaint"],
        )
        return flow_run.id

    async def resume_decided_steps(self, client: PrefectClient) -> None:
        """Resume every run that waits at a step decided through the web."""
        self._not_yet_suspended = False
        for step_id, flow_run_id, key, decision in await asyncio.to_thread(self._waiting_steps):
            outcome = await self._resume(client, flow_run_id, key, decision)
            if outcome is None:
                self._not_yet_suspended = True
            else:
                await self._write(service.note_resume_attempt, step_id, outcome)

    async def _resume(
        self, client: PrefectClient, flow_run_id: uuid.UUID, key: str, decision: dict[str, Any]
    ) -> str | None:
        flow_run = await client.read_flow_run(flow_run_id)
        state = flow_run.state
        # Not suspended at this step (yet, or any more): the run is still on its way to
        # the suspend, or already resumed and about to record the decision.
        if state is None or not state.is_paused() or state.state_details.pause_key != key:
            return None
        run_input = {**decision, "decided_via": DecisionChannel.EMAIL_LINK.value}
        result = await client.resume_flow_run(flow_run_id, run_input=run_input)
        if result.status == SetStateStatus.ACCEPT:
            return "resumed"
        reason = getattr(result.details, "reason", "") or result.status.value
        return f"{result.status.value}: {reason}"[:500]


def _pause_key(run: FlowRun) -> str | None:
    """Return the step key a suspended run waits at (None for a run that ended)."""
    if run.state is None or not run.state.is_paused():
        return None
    return run.state.state_details.pause_key or ""


def _for_prefect(kind: StepKind, decision: dict[str, Any] | None) -> dict[str, Any]:
    """Return a decision as the run receives it: private text stays in our database.

    The flow takes the recorded decision from the database, not from the run input, so
    Prefect needs only a valid input of the step's contract.
    """
    contract = STEP_INPUTS[kind]
    return {
        name: REDACTED if name in contract.private_fields and value else value
        for name, value in (decision or {}).items()
    }

"""The jobs that keep each complaint's Prefect run in step with our record.

Intake and decisions are committed first; these jobs then start each pending
complaint's run, resume each run whose step was decided, start again the runs of
reopened complaints, revive runs that died and repair runs found waiting where nobody
acts. Starting is idempotent (one idempotency key per complaint) and a run is resumed
only while it is suspended at the decided step's key, so retries and several web
processes never start a run twice or resume one twice.
"""

from __future__ import annotations

import logging

from complaints.enums import DecisionChannel
from complaints.intake import service
from complaints.models import MINUTES_KEY, utcnow
from complaints.privacy.closing import note_run_forgotten
from complaints.settings import Settings
from ui_api.background.prefect_runs import FlowRun, PrefectRuns, StateType, is_final, pause_key
from ui_api.background.records import Records

logger = logging.getLogger("complaints.orchestration")


async def start_pending_runs(prefect: PrefectRuns, records: Records) -> None:
    """Create the Prefect run of every complaint that has none yet."""
    for complaint_id, reference in await records.awaiting_run():
        try:
            flow_run_id = await prefect.create(complaint_id, reference)
        except Exception as exc:
            await records.write(service.note_run_start_failure, complaint_id, type(exc).__name__)
            raise
        await records.write(service.mark_run_started, complaint_id, flow_run_id)


async def resume_decided_steps(prefect: PrefectRuns, records: Records) -> bool:
    """Resume every run that waits at a step decided through the web; return whether a
    decided step's run has yet to reach its suspend (it is worth looking again soon)."""
    not_yet_suspended = False
    for step in await records.decided_steps():
        run_input = {**step.run_input, "decided_via": DecisionChannel.EMAIL_LINK.value}
        outcome = await prefect.resume(step.flow_run_id, step.key, run_input)
        if outcome is None:
            # Not suspended at this step (yet, or any more): the run is still on its way
            # to the suspend, or already resumed and about to record the decision.
            not_yet_suspended = True
        else:
            await records.write(service.note_resume_attempt, step.step_id, outcome)
    return not_yet_suspended


async def resume_decided_minutes(prefect: PrefectRuns, records: Records) -> bool:
    """Resume every management review run that waits for minutes recorded through the
    chair's link; return whether one has yet to reach its suspend."""
    not_yet_suspended = False
    for flow_run_id, minutes in await records.decided_minutes():
        run_input = {**minutes, "decided_via": DecisionChannel.EMAIL_LINK.value}
        if await prefect.resume(flow_run_id, MINUTES_KEY, run_input) is None:
            not_yet_suspended = True
    return not_yet_suspended


async def restart_reopened_runs(prefect: PrefectRuns, records: Records) -> None:
    """Start again the finished run of every complaint a quality lead reopened.

    The run executes again from the top: what it did returns at once (its journal, the
    recorded decisions), and it goes on with new actions.
    """
    for complaint_id, flow_run_id in await records.reopened():
        run = await prefect.read(flow_run_id)
        if not is_final(run):
            continue  # still finishing its closing: next round
        await prefect.start_again(run)
        await records.write(service.note_reopened_run_started, complaint_id)


async def forget_erased_runs(prefect: PrefectRuns, records: Records) -> None:
    """Cancel the run of every erased complaint that still waits (it was closed to erase
    its complainant's data), and delete what Prefect stored of its answers (a handler's
    free text may name the complainant); one never started is only noted."""
    for complaint_id, flow_run_id in await records.to_forget():
        if flow_run_id is None or await prefect.forget(flow_run_id):
            await records.write(note_run_forgotten, complaint_id)


async def restart_dead_runs(prefect: PrefectRuns, records: Records, settings: Settings) -> None:
    """Start again the runs of open complaints that crashed or whose process vanished.

    A worker killed mid-step (or a Prefect hiccup while submitting) leaves a run Crashed,
    or Running (or Pending, if it died before the run began) with nobody running it. A
    run that Failed (the database or Prefect away for longer than a task's retries) is
    started again a few times (``run_restart_limit``), then left to an operator. The run
    executes again from the top: finished tasks return their results from our journal,
    every side effect is keyed, and an old process of the run that wakes after all is
    fenced off (:mod:`tasks.journal`), so nothing is repeated.
    """
    runs = await prefect.next_page(
        StateType.CRASHED, StateType.PENDING, StateType.RUNNING, StateType.FAILED
    )
    for run in runs:
        assert run.state is not None
        # Our database first: runs of other installations, or of closed complaints, cost
        # no further calls to the Prefect API.
        complaint_id = await records.open_complaint_of(run.id)
        if complaint_id is None or await _alive(prefect, run, settings):
            continue
        if run.state.type is StateType.FAILED and (
            await records.restarts_of(complaint_id) >= settings.run_restart_limit
        ):
            continue  # failed again and again: left to an operator
        await _start_again(prefect, run)
        await records.write(service.note_run_restarted, complaint_id, run.state.name)


async def restart_dead_review_runs(reviews: PrefectRuns, settings: Settings) -> None:
    """Start again the management review runs that crashed or whose process vanished.

    As for a complaint's run: the replay takes what the review did from our journal and
    its minutes from our record, and waits again where it waited. A review run that
    Failed is left to an operator, who sees it in the Prefect UI.
    """
    runs = await reviews.next_page(StateType.CRASHED, StateType.PENDING, StateType.RUNNING)
    for run in runs:
        assert run.state is not None
        if await _alive(reviews, run, settings):
            continue
        logger.warning("management review run %s was %s; starting it again", run.id, run.state.name)
        await _start_again(reviews, run)


async def _alive(prefect: PrefectRuns, run: FlowRun, settings: Settings) -> bool:
    """Whether a run that looks executing showed a sign of life lately."""
    assert run.state is not None
    if run.state.type not in (StateType.PENDING, StateType.RUNNING):
        return False
    silent = (utcnow() - await prefect.last_sign_of_life(run)).total_seconds()
    return silent <= settings.run_stall_seconds


async def _start_again(prefect: PrefectRuns, run: FlowRun) -> None:
    assert run.state is not None
    live = run.state.type in (StateType.PENDING, StateType.RUNNING)
    await prefect.start_again(run, crashed="No heartbeat: its worker is gone" if live else None)


async def repair_stranded_runs(prefect: PrefectRuns, records: Records) -> None:
    """Check the invariant that no open complaint's run waits where nobody acts.

    A run suspended at a step it has already taken (our record says so), or ended while
    its complaint is open, would wait forever while every page says it waits. Each is
    logged as an error, recorded on the complaint, and started again: the replay takes
    every decided step from our record and waits at the open one.
    """
    runs = await prefect.next_page(StateType.PAUSED, StateType.COMPLETED)
    by_id = {run.id: run for run in runs}
    for complaint_id, run_id, where in await records.stranded(
        {run.id: pause_key(run) for run in runs}
    ):
        # The run may have been resumed and have taken its step between the two reads:
        # only a run still in the very state that was read is stranded.
        current = await prefect.read(run_id)
        seen = by_id[run_id].state
        if current.state is None or seen is None or current.state.id != seen.id:
            continue
        logger.error(
            "invariant broken: run %s of complaint %s waits at %s; starting it again",
            run_id,
            complaint_id,
            where,
        )
        await prefect.start_again(by_id[run_id])
        await records.write(service.note_run_repaired, complaint_id, where)

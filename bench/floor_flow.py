"""The least a human decision costs on Prefect: a flow run that only waits for an answer
and takes it, with Prefect's own ``suspend_flow_run``, and does nothing else.

Each execution takes the answer of the key it was resumed from (Prefect's way: suspending
at a key already answered returns its input) and suspends at the next one. The decision
benchmark (``bench/decisions.py``) deploys it on the stack it starts and resumes it as a
web app resumes a complaint's run: what it costs is Prefect's share of every decision,
whatever the flow does.
"""

from __future__ import annotations

from prefect import flow
from prefect.context import FlowRunContext
from prefect.flow_runs import asuspend_flow_run
from prefect.input import RunInput


class Answer(RunInput):
    answer: str


@flow(name="decision-floor", persist_result=False, log_prints=False)
async def decision_floor() -> None:
    """Take the last answer, then wait for the next one."""
    context = FlowRunContext.get()
    assert context is not None and context.flow_run is not None
    answered = len(context.flow_run.empirical_policy.pause_keys or ())
    if answered:
        await asuspend_flow_run(wait_for_input=Answer, key=f"answer-{answered}", timeout=None)
    await asuspend_flow_run(wait_for_input=Answer, key=f"answer-{answered + 1}", timeout=None)

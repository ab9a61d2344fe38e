"""Suspending a run with a message on its Suspended state: what the run waits for, shown
on the run page and in the runs list of the Prefect UI.

``prefect.flow_runs.asuspend_flow_run`` proposes its Suspended state without a message
and takes none; this is that function (as of the release ``CHECKED_WITH`` names; the
contract test fails when the installed one changes) for the current flow run, with the
message added to the proposed state. Everything else is Prefect's own behaviour: a key
already answered returns its stored input at once; otherwise the input form is saved and
the process leaves (``Pause``), holding nothing while the run waits.
"""

from __future__ import annotations

from typing import Any, TypeVar

from prefect._flow_run_suspension import mark_flow_run_suspension_requested
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.exceptions import Abort, Pause
from prefect.input import keyset_from_paused_state
from prefect.input.run_input import run_input_subclass_from_type
from prefect.logging.loggers import get_run_logger
from prefect.states import Suspended
from prefect.utilities.engine import propose_state

T = TypeVar("T")

CHECKED_WITH = "3.9.1"


async def suspend_with_message(wait_for_input: type[T], *, key: str, message: str) -> T:
    """Suspend the current flow run at ``key`` (never expiring) until its input arrives."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("Flow runs can only be suspended from within a flow run.")
    get_run_logger(context=context).info("Suspending flow run at %s", key)
    flow_run_id = context.flow_run.id
    proposed: State[Any] = Suspended(timeout_seconds=None, pause_key=key, message=message)
    run_input = run_input_subclass_from_type(wait_for_input)
    keyset = keyset_from_paused_state(proposed)
    proposed.state_details.run_input_keyset = {str(k): v for k, v in keyset.items()}
    async with get_client() as client:
        try:
            state = await propose_state(client=client, state=proposed, flow_run_id=flow_run_id)
        except Abort as exc:
            raise RuntimeError(f"Flow run cannot be suspended: {exc}") from exc
        if state.is_running():  # suspended here before and resumed: the answer is stored
            return await run_input.aload(keyset)
        if not state.is_paused():
            raise RuntimeError(f"Flow run cannot be suspended: unexpected state {state}")
        await run_input.asave(keyset)
    mark_flow_run_suspension_requested(flow_run_id, state)
    raise Pause(state=state)

"""The one way a flow waits for a person: open the step, suspend, take the decision."""

from __future__ import annotations

import uuid
from typing import TypeVar

from prefect import get_run_logger

# The async form of suspend_flow_run (this flow is async).
from prefect.flow_runs import asuspend_flow_run

from complaints.contracts import StepInput
from complaints.enums import StepKind
from tasks.notify import deliver_mail
from tasks.steps import open_step, take_decision

Decision = TypeVar("Decision", bound=StepInput)

# A suspend timeout that expires marks the run Failed. Deadlines are business events
# handled outside the run (reminders, escalation), so a waiting complaint never expires.
NEVER_EXPIRES: int | None = None


def step_key(kind: StepKind, round_: int = 1) -> str:
    """Return the suspend key of a step: unique per complaint, so each step opens once."""
    return f"{kind.value}-{round_}"


async def await_decision(
    complaint_id: uuid.UUID, kind: StepKind, contract: type[Decision], *, round_: int = 1
) -> Decision:
    """Ask a person for a decision and wait for it, suspended, holding no process."""
    key = step_key(kind, round_)
    opened = open_step(complaint_id, kind, key)
    if opened.message_ids:
        await deliver_mail(opened.message_ids)
    get_run_logger().info("Waiting for step %s (step id %s)", key, opened.step_id)
    # On resume the flow runs again from the top: the tasks above return their stored
    # results, and this call, whose key has been used, returns the input at once.
    received = await asuspend_flow_run(wait_for_input=contract, key=key, timeout=NEVER_EXPIRES)
    recorded = take_decision(complaint_id, key, received)
    get_run_logger().info("Step %s decided", key)
    return contract.model_validate(recorded)

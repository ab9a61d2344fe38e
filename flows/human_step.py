"""The one way a flow waits for a person: open the step, suspend, take the decision."""

from __future__ import annotations

import uuid
from typing import TypeVar

from prefect import get_run_logger
from pydantic import ValidationError

from complaints.enums import StepKind
from complaints.steps.catalogue import spec_of
from complaints.steps.catalogue.spec import Refs
from complaints.steps.contracts import StepInput
from suspensions.suspend import suspend_with_message
from tasks.journal import ensure_current_execution
from tasks.mail import deliver_mail
from tasks.operators import publish_run_view
from tasks.refusals import refuse_answer
from tasks.steps import open_step, recorded_step, take_decision

Decision = TypeVar("Decision", bound=StepInput)


def step_key(kind: StepKind, *parts: int | str) -> str:
    """Return the suspend key of a step: unique per complaint, so each step opens once.

    ``parts`` tell steps of a kind apart (a round; a plan and an action of it); none
    means the first. Prefect allows lowercase letters, digits and dashes in input keys.
    """
    return "-".join([kind.value.replace("_", "-"), *(str(part) for part in parts or (1,))])


async def open_waiting_step(
    complaint_id: uuid.UUID,
    kind: StepKind,
    *,
    round_: int = 1,
    refs: Refs | None = None,
    key: str | None = None,
) -> str:
    """Open a step and send its email (once); return its key (by default, of the round)."""
    key = key or step_key(kind, round_)
    if recorded_step(complaint_id, key, take=False) is not None:
        # Opened by an earlier execution: its email is in the outbox, which delivers it.
        return key
    opened = open_step(complaint_id, kind, key, refs or spec_of(kind).refs())
    if opened.message_ids:
        await deliver_mail(opened.message_ids)
    get_run_logger().info("Step %s open (step id %s)", key, opened.step_id)
    return key


async def wait_for(complaint_id: uuid.UUID, key: str, contract: type[Decision]) -> Decision:
    """Wait, suspended and holding no process, for an open step's decision."""
    # On resume the flow runs again from the top. A step our record holds as decided is
    # taken from it and never waited for again (this is also how a decision posted
    # through a link reaches the run); only an open one suspends. An operator's answer
    # in the Prefect UI comes back through the suspend, and is recorded here.
    record = recorded_step(complaint_id, key, take=True)
    if record is not None and record.decision is not None:
        return contract.model_validate(record.decision)
    ensure_current_execution()  # an execution started again elsewhere does not wait here
    # Operators see what it waits for: the run's view, and the suspended state's message.
    # The suspension never expires: deadlines are business events handled outside the
    # run (reminders, escalation), never a Failed run.
    message = await publish_run_view(complaint_id, key)
    while True:
        try:
            received = await suspend_with_message(contract, key=key, message=message)
            break
        except ValidationError as exc:  # an answer in the Prefect UI the rules refuse
            await refuse_answer(complaint_id, key, exc)
    recorded = take_decision(complaint_id, key, received)
    get_run_logger().info("Step %s decided", key)
    return contract.model_validate(recorded)


async def await_decision(
    complaint_id: uuid.UUID,
    kind: StepKind,
    contract: type[Decision],
    *,
    round_: int = 1,
    refs: Refs | None = None,
) -> Decision:
    """Ask a person for a decision and wait for it."""
    key = await open_waiting_step(complaint_id, kind, round_=round_, refs=refs)
    return await wait_for(complaint_id, key, contract)

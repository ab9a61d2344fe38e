"""What Prefect keeps of a run's suspensions, and forgetting it: one place for the flow side
(an answer the step's rules refuse) and the web side (a run started again) alike.

Prefect remembers every key a run suspended at (``pause_keys``), and a suspend at a
remembered key returns the input stored for it at once. Each suspension keeps its input
form and, once answered, the answer, as flow-run inputs named ``suspended-<key>-<part>``
(:func:`prefect.input.keyset_from_paused_state`; checked against the installed release by
``tests/test_prefect_contract.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from prefect.client.orchestration import PrefectClient
from prefect.input import keyset_from_paused_state
from prefect.states import Suspended

# "suspended-<key>-schema", "suspended-<key>-description", "suspended-<key>-response".
SUSPENDED_INPUT_PREFIX = "suspended-"
RESPONSE_PART = "response"


def input_parts(name: str) -> tuple[str, str]:
    """Split a suspension's input name into its step key and its part."""
    step, _, part = name.removeprefix(SUSPENDED_INPUT_PREFIX).rpartition("-")
    return step, part


def answer_name(key: str) -> str:
    """Return the name of the input a suspension at ``key`` was answered with."""
    return keyset_from_paused_state(Suspended(pause_key=key))["response"]


async def forget(
    client: PrefectClient, run_id: uuid.UUID, *, steps: set[str], inputs: Iterable[str]
) -> set[str]:
    """Delete a run's stored ``inputs`` and let it suspend at ``steps`` again; return the
    keys it stops remembering."""
    for name in inputs:
        await client.delete_flow_run_input(run_id, name)
    run = await client.read_flow_run(run_id)
    remembered = set(run.empirical_policy.pause_keys or set())
    if not remembered & steps:
        return set()
    policy = run.empirical_policy.model_copy(update={"pause_keys": remembered - steps})
    await client.update_flow_run(run_id, empirical_policy=policy)
    return remembered & steps


async def forget_all(client: PrefectClient, run_id: uuid.UUID) -> None:
    """Delete every input a run stored (its suspensions' forms and answers)."""
    stored = await client.filter_flow_run_input(
        run_id, key_prefix="", limit=1000, exclude_keys=set()
    )
    for item in stored:
        await client.delete_flow_run_input(run_id, item.key)


async def forget_answer(client: PrefectClient, run_id: uuid.UUID, key: str) -> None:
    """Forget the answer a suspension at ``key`` was given, so the run waits there again."""
    await forget(client, run_id, steps={key}, inputs=[answer_name(key)])


async def forget_unanswered(client: PrefectClient, run_id: uuid.UUID) -> set[str]:
    """Let a run that is started again wait again at the steps nobody answered; return them.

    A run restarted after it suspended at a step nobody answered (it only looked stalled,
    or crashed right after) would find no input there and fail. So only the keys with an
    answer stay remembered, and what the unanswered suspensions left (their input form)
    is removed, so that suspending there again can write it anew.
    """
    stored = await client.filter_flow_run_input(
        run_id, key_prefix=SUSPENDED_INPUT_PREFIX, limit=1000, exclude_keys=set()
    )
    parts = [(i.key, *input_parts(i.key)) for i in stored]
    answered = {step for _name, step, part in parts if part == RESPONSE_PART}
    run = await client.read_flow_run(run_id)
    unanswered = set(run.empirical_policy.pause_keys or set()) - answered
    unanswered |= {step for _name, step, _part in parts if step not in answered}
    inputs = [name for name, step, _part in parts if step not in answered]
    return await forget(client, run_id, steps=unanswered, inputs=inputs)

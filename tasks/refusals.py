"""An operator's answer in the Prefect UI that a step's rules refuse: recorded, and the
run waits again at the same step instead of failing.

Prefect's resume form checks the input's types; the checks across fields (an
explanation when it is not ours, a meeting time when it is) run when the run loads the
input. A refused answer is recorded in the complaint's trail (which fields, never their
values), logged as a warning, and forgotten in Prefect (the stored answer and the step's
pause key), so the run can suspend at the step again.
"""

from __future__ import annotations

import uuid

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run
from pydantic import ValidationError

import suspensions
from complaints.audit import record_event
from complaints.enums import EventKind
from tasks.runtime import transaction


def refused_fields(exc: ValidationError) -> list[str]:
    """Name the fields a refusal is about (a check across fields names its field)."""
    names = []
    for error in exc.errors():
        if error["loc"]:
            names.append(str(error["loc"][0]))
        else:
            name, sep, _rest = str(error["msg"]).removeprefix("Value error, ").partition(": ")
            names.append(name if sep and name.isidentifier() else "form")
    return sorted(set(names))


async def refuse_answer(complaint_id: uuid.UUID, key: str, exc: ValidationError) -> None:
    """Record and log the refusal, and let the run wait at ``key`` again."""
    fields = refused_fields(exc)
    with transaction() as session:
        record_event(
            session,
            complaint_id,
            EventKind.STEP_INPUT_REFUSED,
            actor="operator",
            channel="prefect_ui",
            data={"key": key, "fields": fields},
        )
    get_run_logger().warning(
        "Step %s: the answer given in the Prefect UI breaks the step's rules (%s); "
        "the run waits at the step again",
        key,
        ", ".join(fields),
    )
    async with get_client() as client:
        await suspensions.forget_answer(client, uuid.UUID(str(flow_run.id)), key)

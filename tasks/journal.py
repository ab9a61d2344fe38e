"""Tasks that run once per flow run: replayed from our journal, fenced when stale.

On resume a flow runs again from the top. A task declared with :func:`journaled` that
finished in an earlier execution returns its result from our database (the whole
journal is read once per execution) and is not run, nor recorded in Prefect, again.
Every new result is recorded only while this execution is the run's acting one; an
execution that a newer one superseded stops at once, without proposing any state, so it
can neither act on what it read nor overwrite the new execution's state in Prefect.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
import os
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast, get_type_hints

from prefect import Task
from prefect.context import FlowRunContext
from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from complaints.db import get_session_factory
from complaints.models import utcnow
from complaints.ops import run_journal

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger("complaints.journal")


@dataclass
class Execution:
    """This process's execution of a flow run, and what the run has done so far."""

    flow_run_id: uuid.UUID
    execution_id: uuid.UUID
    results: dict[str, Any] = field(default_factory=dict)


_execution: Execution | None = None


def current_execution() -> Execution | None:
    """Return this process's execution of the current flow run, claiming the run (and
    reading its journal) the first time; None outside a flow run."""
    global _execution
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return None
    flow_run_id = context.flow_run.id
    if _execution is None or _execution.flow_run_id != flow_run_id:
        with get_session_factory().begin() as session:
            execution_id = run_journal.claim(session, flow_run_id, now=utcnow())
            results = run_journal.entries(session, flow_run_id)
        _execution = Execution(flow_run_id, execution_id, results)
    return _execution


def ensure_current_execution() -> None:
    """Stop this process if a newer execution of its flow run has started."""
    execution = current_execution()
    if execution is None:
        return
    try:
        with get_session_factory().begin() as session:
            run_journal.ensure_current(session, execution.flow_run_id, execution.execution_id)
    except run_journal.Superseded:
        _stop_superseded(execution)


def _record(execution: Execution, key: str, result: Any) -> None:
    try:
        with get_session_factory().begin() as session:
            run_journal.ensure_current(session, execution.flow_run_id, execution.execution_id)
            run_journal.record(session, execution.flow_run_id, key, result, now=utcnow())
    except run_journal.Superseded:
        _stop_superseded(execution)
    execution.results[key] = result


def _stop_superseded(execution: Execution) -> None:
    # Raising would let Prefect's engine propose Failed or Crashed for the run, over the
    # state of the execution that superseded this one: the process ends here instead,
    # with 0, so its worker reports nothing either.
    logger.warning(
        "flow run %s was started again elsewhere; its execution in process %d stops",
        execution.flow_run_id,
        os.getpid(),
    )
    logging.shutdown()
    os._exit(0)


def entry_key(name: str, signature: inspect.Signature, args: Any, kwargs: Any) -> str:
    """Return a task call's journal key: its name and a digest of its inputs."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    inputs = json.dumps(to_jsonable_python(bound.arguments), sort_keys=True)
    return f"{name}:{hashlib.sha256(inputs.encode()).hexdigest()[:40]}"


def journaled(
    name: str, runner: Task[P, R] | Callable[P, Any], fn: Callable[P, Any]
) -> Callable[P, R]:
    """Return ``runner`` (a Prefect task of ``fn``, or ``fn`` itself) run at most once per
    flow run (see the module)."""
    signature = inspect.signature(fn)

    @functools.cache
    def result_type() -> TypeAdapter[Any]:
        return TypeAdapter(get_type_hints(fn)["return"])

    def recalled(key: str) -> tuple[Execution | None, Any, bool]:
        execution = current_execution()
        if execution is not None and key in execution.results:
            return execution, result_type().validate_python(execution.results[key]), True
        if execution is not None:
            ensure_current_execution()  # a stale execution starts no new work
        return execution, None, False

    def remember(execution: Execution | None, key: str, result: Any) -> None:
        if execution is not None:
            _record(execution, key, result_type().dump_python(result, mode="json"))

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            key = entry_key(name, signature, args, kwargs)
            execution, result, found = recalled(key)
            if found:
                return result
            call = cast(Coroutine[Any, Any, Any], runner(*args, **kwargs))
            result = await call
            remember(execution, key, result)
            return result

        return cast(Callable[P, R], run_async)

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> Any:
        key = entry_key(name, signature, args, kwargs)
        execution, result, found = recalled(key)
        if found:
            return result
        result = runner(*args, **kwargs)
        remember(execution, key, result)
        return result

    return cast(Callable[P, R], run)


def forget_current_run() -> None:
    """Remove the current flow run's journal: for a run that ends and is never replayed
    (a deadline-watch sweep), so the journal does not grow with every sweep."""
    execution = current_execution()
    if execution is not None:
        with get_session_factory().begin() as session:
            run_journal.forget(session, execution.flow_run_id)

"""What every task needs: settings, the organization and database sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import INPUTS, RUN_ID, CacheKeyFnPolicy
from prefect.context import TaskRunContext
from sqlalchemy.orm import Session

from complaints.db import get_session_factory
from complaints.organization import Organization, load_organization
from complaints.settings import Settings, get_settings

P = ParamSpec("P")
R = TypeVar("R")


def _task_name(context: TaskRunContext, _inputs: dict[str, Any]) -> str:
    return context.task.name


# Finished tasks are skipped when a resumed flow runs again from the top. The cache key is
# the task's name, its inputs and the run id, not its source code, so deploying new code
# does not repeat the finished steps of complaints that are waiting. (Without the name, two
# tasks given the same inputs, say only the complaint id, would share one cached result.)
# Every task is also idempotent in the database (unique step keys, outbox dedup keys), so
# a cache miss repeats nothing.
BY_NAME_INPUTS_AND_RUN = CacheKeyFnPolicy(cache_key_fn=_task_name) + INPUTS + RUN_ID


def step_task(name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """Declare a task of a complaint step: results persisted, retried, keyed on inputs."""
    return task(
        name=name,
        persist_result=True,
        cache_policy=BY_NAME_INPUTS_AND_RUN,
        retries=3,
        retry_delay_seconds=[1, 5, 20],
    )


def settings() -> Settings:
    """Return the settings of this process."""
    return get_settings()


def organization() -> Organization:
    """Return the organization file's contents."""
    return load_organization(get_settings().organization_file)


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a block in one database transaction."""
    with get_session_factory().begin() as session:
        yield session

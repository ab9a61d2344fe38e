"""What every task needs: settings, the organization and database sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.orm import Session

from complaints.db import get_session_factory
from complaints.organization import Organization, load_organization
from complaints.settings import Settings, get_settings
from tasks.journal import journaled

P = ParamSpec("P")
R = TypeVar("R")


def step_task(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a task of a flow run: retried, and run once per flow run.

    Its result is kept in our journal (ids and references only), not in Prefect: a
    resumed run that executes again from the top takes it from there (see
    :mod:`tasks.journal`). Every task is also idempotent in the database (unique step
    keys, outbox dedup keys), so a task whose result was lost before it was recorded
    repeats nothing when it runs again.
    """

    def declare(fn: Callable[P, R]) -> Callable[P, R]:
        prefect_task = task(
            name=name,
            cache_policy=NO_CACHE,
            persist_result=False,
            retries=3,
            retry_delay_seconds=[1, 5, 20],
        )(fn)
        return journaled(name, prefect_task, fn)

    return declare


def flow_step(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare work of a flow run that runs once per flow run, as a task does, but is no
    Prefect task: work that is neither a decision nor a record of one (delivering queued
    mail), where a task run with its states and events per call would cost more than the
    work. Its result is kept in our journal like a task's.
    """

    def declare(fn: Callable[P, R]) -> Callable[P, R]:
        return journaled(name, fn, fn)

    return declare


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

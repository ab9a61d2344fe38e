"""Starts the real things once per test session: databases, Prefect server, SMTP, the stack.

PostgreSQL tests run when COMPLAINTS_TEST_POSTGRES_URL names a server (an admin URL; a
fresh database is created and dropped). `make test` and `.ci/run` set it; when it is set
and the server is unreachable the tests fail rather than skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.dev_mailbox import DevMailbox
from complaints.migrate import upgrade
from tests.support.processes import free_port
from tests.support.stack import PrefectServer, Stack

POSTGRES_URL = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL", "")


def once_on(backend: str, preferred: str) -> None:
    """Run a long scenario on one backend only (the preferred one, if it is available).

    Every shorter end-to-end test and every domain test runs on both backends; the long
    scenarios add nothing backend-specific, and running them twice would make `make
    test` too slow.
    """
    available = preferred == "sqlite" or bool(POSTGRES_URL)
    if backend != preferred and available:
        pytest.skip(f"this scenario runs once, on {preferred}")


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database backend the system supports."""
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("COMPLAINTS_TEST_POSTGRES_URL is not set")
    return str(request.param)


@contextmanager
def migrated_database(backend: str, folder: Path) -> Iterator[str]:
    """Create a fresh database of a backend, migrated to the newest schema."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'complaints.db'}"
        upgrade(url)
        yield url
        return
    name = f"complaints_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        make_engine(url).dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for domain tests (the stack has its own)."""
    with migrated_database(backend, tmp_path_factory.mktemp(backend)) as url:
        yield url


@pytest.fixture(scope="session")
def sessions(database_url: str) -> sessionmaker[Session]:
    """Sessions on the domain tests' database."""
    return sessionmaker(make_engine(database_url), expire_on_commit=False)


@pytest.fixture(scope="session")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevMailbox]:
    """A real SMTP server (aiosmtpd) keeping every message."""
    box = DevMailbox(tmp_path_factory.mktemp("mail") / "maildir", port=free_port())
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A real Prefect server with the deployments of prefect.yaml."""
    server = PrefectServer(home=tmp_path_factory.mktemp("prefect"), port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(
    prefect_server: PrefectServer,
    mailbox: DevMailbox,
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A worker and the web app on a database of their own."""
    workdir = Path(tmp_path_factory.mktemp("stack"))
    with migrated_database(backend, workdir) as url:
        system = Stack(prefect=prefect_server, mailbox=mailbox, database_url=url, workdir=workdir)
        system.start()
        try:
            yield system
        finally:
            system.stop()


@pytest.fixture(scope="session")
def stack_sessions(stack: Stack) -> sessionmaker[Session]:
    """Sessions on the stack's database, to look at what the system stored."""
    return sessionmaker(make_engine(stack.database_url), expire_on_commit=False)

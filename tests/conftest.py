"""Starts the real things once per test session: databases, Prefect server, SMTP, the stack.

PostgreSQL tests run when COMPLAINTS_TEST_POSTGRES_URL names a server (an admin URL; a
fresh database is created and dropped). `make test` and `.ci/run` set it; when it is set
and the server is unreachable the tests fail rather than skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.migrate import upgrade
from devtools.mailbox import DevMailbox
from tests.support.databases import POSTGRES_URL, asyncpg_url, postgres_database
from tests.support.processes import free_port
from tests.support.stack import PrefectServer, Stack


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the end-to-end scenarios on PostgreSQL (production's database), and on SQLite
    only those marked ``sqlite_smoke``; every domain test runs on both.

    The scenarios exercise nothing backend-specific beyond what the domain tests and the
    smoke prove on SQLite; running each twice would double the slowest part of the suite.
    Without a PostgreSQL server everything runs on SQLite.
    """
    if not POSTGRES_URL:
        return
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("backend") == "sqlite"
        end_to_end = "tests/e2e/" in item.nodeid or item.nodeid.startswith("e2e/")
        smoke = item.get_closest_marker("sqlite_smoke") is not None
        (dropped if on_sqlite and end_to_end and not smoke else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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
    with postgres_database("complaints_test") as url:
        assert url is not None
        try:
            upgrade(url)
            yield url
        finally:
            make_engine(url).dispose()


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
    """A real Prefect server with the deployments of prefect.yaml (on PostgreSQL when
    the tests have one, as in production)."""
    with postgres_database("prefect_test") as url:
        server = PrefectServer(
            home=tmp_path_factory.mktemp("prefect"),
            port=free_port(),
            database_url=asyncpg_url(url),
        )
        server.start()
        try:
            yield server
        finally:
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
        # The scenarios run on the warm worker; the SQLite smoke runs on Prefect's standard
        # process worker, which stays a supported way to run the same deployments.
        kind = "process" if backend == "sqlite" and POSTGRES_URL else "warm"
        system = Stack(
            prefect=prefect_server,
            mailbox=mailbox,
            database_url=url,
            workdir=workdir,
            worker_kind=kind,
        )
        system.start()
        try:
            yield system
        finally:
            system.stop()


@pytest.fixture(scope="session")
def stack_sessions(stack: Stack) -> sessionmaker[Session]:
    """Sessions on the stack's database, to look at what the system stored."""
    return sessionmaker(make_engine(stack.database_url), expire_on_commit=False)

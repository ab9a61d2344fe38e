"""Fresh PostgreSQL databases, for the tests and the benchmarks alike."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

# The admin URL of the PostgreSQL server to create databases on (empty: none).
POSTGRES_URL = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL", "")


@contextmanager
def postgres_database(prefix: str) -> Iterator[str | None]:
    """Create an empty PostgreSQL database (None without a server); drop it afterwards."""
    if not POSTGRES_URL:
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def asyncpg_url(url: str | None) -> str | None:
    """Return a PostgreSQL URL as Prefect's server wants it (asyncpg driver)."""
    return url and "postgresql+asyncpg://" + url.split("://", 1)[1]

"""Benchmark: complaints filed while SMTP is down, and how long the backlog takes to clear.

    .venv/bin/python bench/smtp_outage.py [N]

Starts the real stack (Prefect server, the warm worker, the web app, an SMTP server) on
PostgreSQL when COMPLAINTS_TEST_POSTGRES_URL names a server, else SQLite; stops the SMTP
server, files N complaints (50 by default), waits until every run has queued its two
emails, starts SMTP again and waits until all are delivered. Prints, beside the same run's
baseline (N emails sent straight to the same SMTP server), the time to queue, the time
to deliver and the duplicates (there must be none; the test suite proves that with ten).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.dev_mailbox import DevMailbox  # noqa: E402
from complaints.migrate import upgrade  # noqa: E402
from tests.support.people import complaint_payload  # noqa: E402
from tests.support.processes import free_port  # noqa: E402
from tests.support.stack import PrefectServer, Stack, eventually  # noqa: E402

POSTGRES = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL", "")


def database(prefix: str, folder: Path, cleanup: ExitStack) -> str | None:
    """Return a fresh PostgreSQL database URL (dropped at the end), or None."""
    if not POSTGRES:
        return None
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    cleanup.callback(drop)
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


def baseline(mailbox: DevMailbox, count: int) -> float:
    """Seconds to send ``count`` emails straight to the SMTP server."""

    async def send_all() -> None:
        for n in range(count):
            message = EmailMessage()
            message["From"], message["To"] = "desk@example.com", f"b{n}@example.com"
            message["Subject"] = f"baseline {n}"
            message.set_content("baseline")
            await aiosmtplib.send(message, hostname=mailbox.host, port=mailbox.port)

    started = time.perf_counter()
    asyncio.run(send_all())
    return time.perf_counter() - started


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as cleanup:
        folder = Path(tmp)
        prefect_db = database("bench_prefect", folder, cleanup)
        prefect = PrefectServer(
            home=folder / "prefect",
            port=free_port(),
            database_url=prefect_db and "postgresql+asyncpg://" + prefect_db.split("://", 1)[1],
        )
        prefect.home.mkdir()
        prefect.start()
        cleanup.callback(prefect.stop)
        mailbox = DevMailbox(folder / "mail", port=free_port())
        mailbox.start()
        url = database("bench_complaints", folder, cleanup) or f"sqlite:///{folder / 'c.db'}"
        upgrade(url)
        stack = Stack(prefect=prefect, mailbox=mailbox, database_url=url, workdir=folder)
        stack.start()
        cleanup.callback(stack.stop)
        direct = baseline(mailbox, 2 * count)
        mailbox.store.clear()

        mailbox.stop()
        started = time.perf_counter()
        cases = [stack.file_complaint(complaint_payload()) for _ in range(count)]
        references = {c["reference"] for c in cases}
        eventually(
            lambda: stack.health()["mail_pending"] >= 2 * count,
            seconds=1800,
            what="every run's mail queued",
        )
        queued = time.perf_counter() - started
        mailbox.start()
        restarted = time.perf_counter()
        eventually(lambda: stack.health()["mail_pending"] == 0, seconds=600, what="delivered")
        delivered = time.perf_counter() - restarted
        copies = Counter(
            (m.to, m.subject)
            for m in mailbox.store.messages()
            if any(reference in m.subject for reference in references)
        )
        mailbox.stop()
        backend = "PostgreSQL" if POSTGRES else "SQLite"
        print(f"SMTP outage benchmark, {count} complaints, {backend}, {stack.worker_kind} worker")
        print(f"filed and queued while SMTP was down  {queued:7.1f} s  ({2 * count} emails)")
        print(f"delivered after SMTP came back        {delivered:7.1f} s")
        print(f"baseline: {2 * count} emails sent directly    {direct:7.1f} s")
        print(f"delivered {sum(copies.values())}, duplicates {sum(n - 1 for n in copies.values())}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)

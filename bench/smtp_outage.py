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
import sys
import tempfile
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.mailbox import DevMailbox  # noqa: E402
from tests.support.databases import POSTGRES_URL  # noqa: E402
from tests.support.people import complaint_payload  # noqa: E402
from tests.support.stack import eventually, whole_stack  # noqa: E402


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
    with tempfile.TemporaryDirectory() as tmp, whole_stack(Path(tmp)) as stack:
        mailbox = stack.mailbox
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
        backend = "PostgreSQL" if POSTGRES_URL else "SQLite"
        print(f"SMTP outage benchmark, {count} complaints, {backend}, {stack.worker_kind} worker")
        print(f"filed and queued while SMTP was down  {queued:7.1f} s  ({2 * count} emails)")
        print(f"delivered after SMTP came back        {delivered:7.1f} s")
        print(f"baseline: {2 * count} emails sent directly    {direct:7.1f} s")
        print(f"delivered {sum(copies.values())}, duplicates {sum(n - 1 for n in copies.values())}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)

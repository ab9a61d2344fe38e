"""Benchmark: complaints filed in a burst, until every one waits at its first step.

    .venv/bin/python bench/capacity.py [N] [BASELINE_N]

Starts the real stack (Prefect server, the worker, the web app, an SMTP server; on
PostgreSQL when COMPLAINTS_TEST_POSTGRES_URL names a server, else SQLite; the pool runs
8 flow runs at once, as the tests' and `make run`'s do), files N complaints (1,000 by
default) over real HTTP, 32 at a time, and waits until every complaint's run is suspended
at ``assessment-1`` with the handler's assessment email sent. The baseline, in the same
run, is Prefect's process worker with BASELINE_N complaints (50: at seconds per run it
would take the better part of an hour for 1,000).

Prints, per worker kind: complaints per minute from the first POST until the last one
waits, the filing time alone, runs that ended Failed or Crashed (must be 0), runs the web
app started again (taken for dead under the load; fenced, so nothing is doubled), the
emails delivered and how many of them twice (must be 0), the whole machine's CPU seconds
per complaint (run this on an otherwise idle machine), and the Prefect database's growth
per complaint (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.decisions import busy_seconds, prefect_db_size  # noqa: E402
from complaints.db import make_engine  # noqa: E402
from complaints.enums import StepKind, StepStatus  # noqa: E402
from complaints.models import Event, Step  # noqa: E402
from tests.support.databases import POSTGRES_URL  # noqa: E402
from tests.support.people import complaint_payload  # noqa: E402
from tests.support.stack import Stack, eventually, whole_stack  # noqa: E402

HANDLER = "li.wei@acme.example"
AT_ONCE = 32  # requests in flight while filing
TIMEOUT_SECONDS = 3600


@dataclass
class Figures:
    complaints: int
    filing_seconds: float
    total_seconds: float  # first POST -> the last complaint waits at its first step
    failed_or_crashed: int
    restarted: int
    emails: int
    duplicate_emails: int  # the same message (Message-ID) delivered twice
    cpu_per_complaint: float
    prefect_db_per_complaint: float | None  # bytes


async def file_all(stack: Stack, count: int) -> None:
    """File ``count`` complaints, AT_ONCE in flight; every one must be answered 201."""
    payloads = [complaint_payload() for _ in range(count)]
    queue = asyncio.Queue[dict[str, object]]()
    for payload in payloads:
        queue.put_nowait(payload)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:

        async def filer() -> None:
            while not queue.empty():
                response = await client.post("/api/complaints", json=queue.get_nowait())
                assert response.status_code == 201, response.text

        await asyncio.gather(*(filer() for _ in range(AT_ONCE)))


def waiting_at_first_step(stack: Stack) -> int:
    """Count the runs suspended (at the assessment: nothing else was decided)."""
    return runs_in(stack, "Suspended")


def runs_in(stack: Stack, *names: str) -> int:
    return int(
        stack.prefect.post(
            "/flow_runs/count", {"flow_runs": {"state": {"name": {"any_": list(names)}}}}
        )
    )


def assessments_open(stack: Stack) -> int:
    """Count the assessment steps open and asked for (our record)."""
    with make_engine(stack.database_url).connect() as db:
        count = db.scalar(
            select(func.count())
            .select_from(Step)
            .where(Step.kind == StepKind.ASSESSMENT, Step.status == StepStatus.OPEN)
        )
    return int(count or 0)


def assessment_emails(stack: Stack) -> int:
    return sum(
        1 for m in stack.mailbox.store.messages() if HANDLER in m.to and "/s/" in m.part("plain")
    )


def drive(stack: Stack, count: int) -> Figures:
    size_before = prefect_db_size(stack)
    busy_before = busy_seconds()
    started = time.perf_counter()
    asyncio.run(file_all(stack, count))
    filed = time.perf_counter()

    def all_waiting() -> bool:
        return waiting_at_first_step(stack) >= count and assessment_emails(stack) >= count

    eventually(all_waiting, seconds=TIMEOUT_SECONDS, what=f"{count} runs to wait")
    done = time.perf_counter()
    cpu = (busy_seconds() - busy_before) / count
    assert assessments_open(stack) == count
    size_after = prefect_db_size(stack)
    growth = None if size_before is None or size_after is None else size_after - size_before
    delivered = [str(m.message["Message-ID"]) for m in stack.mailbox.store.messages()]
    return Figures(
        complaints=count,
        filing_seconds=filed - started,
        total_seconds=done - started,
        failed_or_crashed=runs_in(stack, "Failed", "Crashed"),
        restarted=restarts(stack),
        emails=len(delivered),
        duplicate_emails=len(delivered) - len(set(delivered)),
        cpu_per_complaint=cpu,
        prefect_db_per_complaint=None if growth is None else growth / count,
    )


def restarts(stack: Stack) -> int:
    """Count the runs the web app started again or repaired (our audit trail)."""
    with make_engine(stack.database_url).connect() as db:
        count = db.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.kind.in_(["run.restarted", "run.repaired"]))
        )
    return int(count or 0)


def measure(kind: str, count: int) -> Figures:
    with tempfile.TemporaryDirectory() as tmp, whole_stack(Path(tmp), worker_kind=kind) as stack:
        eventually(lambda: stack.health()["status"] == "ok", what="web app")
        return drive(stack, count)


def main(count: int, baseline_count: int) -> None:
    backend = "PostgreSQL" if POSTGRES_URL else "SQLite"
    print(
        f"capacity benchmark: a burst of complaints until each waits at its first step, {backend}"
    )
    for kind, label, n in (
        ("process", "baseline: Prefect's process worker", baseline_count),
        ("warm", "warm worker", count),
    ):
        f = measure(kind, n)
        growth = (
            "n/a"
            if f.prefect_db_per_complaint is None
            else f"{f.prefect_db_per_complaint / 2**10:.0f} kB"
        )
        print(
            f"{label:36} {n:5} complaints  {60 * n / f.total_seconds:6.0f} per minute  "
            f"(filed in {f.filing_seconds:5.1f} s, all waiting after {f.total_seconds:6.1f} s)  "
            f"failed/crashed {f.failed_or_crashed}  restarted {f.restarted}  "
            f"emails {f.emails} (duplicates {f.duplicate_emails})  "
            f"CPU {f.cpu_per_complaint:4.2f} s per complaint  Prefect DB +{growth} per complaint"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [1000, 50][len(args) :]))

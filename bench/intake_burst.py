"""Benchmark: an intake burst at a fixed rate over real HTTP, with the whole stack running.

    .venv/bin/python bench/intake_burst.py [RATE] [SECONDS]

Starts the real stack (Prefect server, the warm worker, the web app under uvicorn, an
SMTP server; on PostgreSQL when COMPLAINTS_TEST_POSTGRES_URL names a server, else SQLite)
and sends RATE complaints a second (200 by default) for SECONDS (10) to
``POST /api/complaints``, open loop: each request leaves at its planned time whether or
not the earlier ones have been answered, as a burst of people would. The baseline, in
the same run and at the same rate, is ``GET /api/health`` (the HTTP floor of the same
process). Prints the latencies and how many complaints were answered 201 and stored.
The runs the burst starts (one per complaint) execute meanwhile, as they would.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import Connections, open_loop, settle  # noqa: E402
from complaints.db import make_engine  # noqa: E402
from complaints.models import Complaint  # noqa: E402
from tests.support.databases import POSTGRES_URL  # noqa: E402
from tests.support.people import complaint_payload  # noqa: E402
from tests.support.stack import Stack, eventually, whole_stack  # noqa: E402


def row(name: str, latencies: list[float], codes: list[int]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    ok = sum(1 for code in codes if code in (200, 201))
    return (
        f"{name:<30} p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  "
        f"max {ordered[-1]:7.1f} ms  answered OK {ok}/{len(codes)}, "
        f"no answer {codes.count(0)}"
    )


async def measure(stack: Stack, rate: int, seconds: int) -> None:
    url = httpx.URL(stack.base_url)
    connections = Connections(url.host, url.port or 80, size=200)
    await connections.open()
    payloads = [complaint_payload() for _ in range(rate * seconds)]

    async def post(n: int) -> int:
        return await connections.request("POST", "/api/complaints", payloads[n])

    async def health(_n: int) -> int:
        return await connections.request("GET", "/api/health")

    await open_loop(20, 1, health)  # the server warmed up
    await settle()  # measured from a quiet machine, as both phases below are
    await connections.reopen()
    floor = await open_loop(rate, seconds, health)
    await settle()
    await connections.reopen()
    intake = await open_loop(rate, seconds, post)
    await connections.close()
    with make_engine(stack.database_url).connect() as db:
        stored = db.scalar(select(func.count()).select_from(Complaint))
    backend = "PostgreSQL" if POSTGRES_URL else "SQLite"
    print(f"intake burst: {rate} requests/s for {seconds} s, {backend}, uvicorn, whole stack")
    print(row("POST /api/complaints", *intake))
    print(row("baseline: GET /api/health", *floor))
    print(f"complaints stored: {stored} of {len(payloads)} sent")


def main(rate: int, seconds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, whole_stack(Path(tmp)) as stack:
        eventually(lambda: stack.health()["status"] == "ok", what="web app")
        asyncio.run(measure(stack, rate, seconds))


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [200, 10][len(args) :]))

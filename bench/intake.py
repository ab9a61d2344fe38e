"""Benchmark: how fast the web app records complaints, against baselines in the same run.

    .venv/bin/python bench/intake.py [N]

Measures, on a fresh SQLite database, N complaints filed through the real HTTP app
(in-process ASGI, no network), against two baselines taken in the same run: the same
number of health checks through the same app (the HTTP floor), and the same complaints
recorded by the domain service directly (the database floor). Prints figures only.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.db import get_session_factory  # noqa: E402
from complaints.intake.schemas import ComplaintIn  # noqa: E402
from complaints.intake.service import file_complaint  # noqa: E402
from complaints.migrate import upgrade  # noqa: E402
from complaints.organization import load_organization  # noqa: E402
from complaints.settings import Settings  # noqa: E402
from ui_api.app import create_app  # noqa: E402

PAYLOAD = {
    "complainant": {"name": "王芳", "email": "wang@example.com", "locale": "zh-CN"},
    "product": "Electric kettle K2",
    "description": "水壶底部漏水。The kettle leaks at the base.",
    "requested_remedy": "更换新水壶",
}


async def timed(n: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    """Return the duration of each of n sequential calls, in milliseconds."""
    durations = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def row(name: str, durations: list[float]) -> str:
    ordered = sorted(durations)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    rate = 1000 / statistics.mean(durations)
    return (
        f"{name:<34} mean {statistics.mean(durations):7.2f} ms  p50 "
        f"{statistics.median(durations):7.2f} ms  p95 {p95:7.2f} ms  {rate:7.0f}/s"
    )


async def main(n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        organization_file=ROOT / "samples" / "organization.toml",
        smtp_host="127.0.0.1",
        mailbox_dir=folder / "mailbox",
    )
    app = create_app(settings)  # no lifespan: the background loop stays off
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def post() -> None:
            response = await client.post("/api/complaints", json=PAYLOAD)
            assert response.status_code == 201, response.text

        async def health() -> None:
            assert (await client.get("/api/health")).status_code == 200

        await timed(10, post)  # warm up
        intake = await timed(n, post)
        floor_http = await timed(n, health)
    org = load_organization(settings.organization_file)
    sessions = get_session_factory(url)
    data = ComplaintIn.model_validate(PAYLOAD)

    async def direct() -> None:
        with sessions.begin() as session:
            file_complaint(session, data, org)

    floor_db = await timed(n, direct)
    print(f"intake benchmark, {n} sequential requests, SQLite, in-process ASGI")
    print(row("POST /api/complaints", intake))
    print(row("baseline: GET /api/health", floor_http))
    print(row("baseline: service.file_complaint", floor_db))
    print(
        f"HTTP + validation overhead over the database floor: "
        f"{statistics.mean(intake) - statistics.mean(floor_db):.2f} ms per complaint"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))

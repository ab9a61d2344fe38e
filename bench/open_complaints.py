"""Benchmark: many open complaints waiting at once — what idling, a step page and the
deadline watch cost then.

    .venv/bin/python bench/open_complaints.py [N]

PostgreSQL only (COMPLAINTS_TEST_POSTGRES_URL). Starts the real stack on the warm worker,
files one complaint and lets it run until it waits at its assessment, then copies it
N times (10,000 by default) in our database and in Prefect's with the generator in
``bench/clone.py``, so N + 1 complaints wait as real runs leave them. Then:

- idle: the Prefect server's, the worker's and the web app's CPU over a minute, with
  Prefect's defaults (every server loop on) and with the pause-expiration loop off as
  the README's production settings say; and the worker's memory (its processes'
  resident set) before, after and after decisions;
- step pages: ``GET /s/<token>`` of random waiting complaints, p50 and p95, beside
  ``GET /api/health`` (the same process's floor) in the same run;
- the deadline watch: one run of the ``deadline-watch`` deployment over every open step,
  its time in Prefect (Running to Completed) and its check task's;
- that copies are real complaints: a handler decides on a few of them, and each gets its
  next email.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.clone import clone_waiting_complaint  # noqa: E402
from bench.decisions import decide, next_link  # noqa: E402
from complaints.audit import first_broken_link  # noqa: E402
from complaints.db import make_engine  # noqa: E402
from complaints.models import Complaint, utcnow  # noqa: E402
from tests.support.databases import POSTGRES_URL  # noqa: E402
from tests.support.people import complaint_payload  # noqa: E402
from tests.support.processes import children_of  # noqa: E402
from tests.support.stack import Stack, eventually, run_deadline_watch, whole_stack  # noqa: E402

HANDLER = "li.wei@acme.example"
PAGES = 300
IDLE_SECONDS = int(os.environ.get("BENCH_IDLE_SECONDS", "60"))
TICK = 100  # clock ticks per second (SC_CLK_TCK on Linux)
OFF = ("PAUSE_EXPIRATIONS",)


def group_of(pid: int) -> list[int]:
    """Return a process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children_of(current)
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://").replace(
        "postgresql+psycopg://", "postgresql://"
    )


def template(stack: Stack) -> dict[str, str]:
    """File one complaint and wait until its run waits at the assessment."""
    filed = stack.file_complaint(complaint_payload())
    run_id = eventually(lambda: stack.complaint(filed["id"])["flow_run_id"], what="run id")
    stack.prefect.wait_suspended_at(run_id, "assessment-1")
    eventually(lambda: stack.mail_to(HANDLER, filed["reference"]), what="assessment email")
    eventually(stack.holds_no_run_process, what="the run to suspend")
    return filed


def generate(stack: Stack, complaint_id: str, count: int) -> list[tuple[str, str]]:
    assert stack.prefect.database_url is not None
    sessions = sessionmaker(make_engine(stack.database_url))
    with (
        psycopg.connect(psycopg_url(stack.database_url)) as ours,
        psycopg.connect(psycopg_url(stack.prefect.database_url)) as prefect,
        sessions() as session,
    ):
        copied = clone_waiting_complaint(
            ours,
            prefect,
            session,
            uuid.UUID(complaint_id),
            count,
            stack._env["COMPLAINTS_SECRET_KEY"],
            progress=lambda n: print(f"  {n} copies", end="\r", file=sys.stderr),
        )
    print(file=sys.stderr)
    return copied.links


def idle(stack: Stack, seconds: int) -> dict[str, float]:
    assert stack.prefect.process and stack.worker and stack.web
    parts = {
        "Prefect server": stack.prefect.process.pid,
        "worker": stack.worker.pid,
        "web app": stack.web.pid,
    }
    before = {name: cpu_seconds(group_of(pid)) for name, pid in parts.items()}
    time.sleep(seconds)
    return {
        name: 100 * (cpu_seconds(group_of(pid)) - before[name]) / seconds
        for name, pid in parts.items()
    }


def check_chains(stack: Stack, sample: int = 100) -> int:
    """Verify the audit chains of random copies (as ``verify-audit`` does)."""
    with sessionmaker(make_engine(stack.database_url))() as session:
        ids = list(session.scalars(select(Complaint.id)))
        chosen = random.sample(ids, min(sample, len(ids)))
        broken = [c for c in chosen if first_broken_link(session, c) is not None]
    assert not broken, f"{len(broken)} broken chains"
    return len(chosen)


def idle_with(stack: Stack, services_off: tuple[str, ...]) -> dict[str, float]:
    """Restart the Prefect server with these loops off; measure a quiet minute."""
    stack.prefect.stop()
    stack.prefect.idle_services = services_off
    stack.prefect.launch()
    eventually(lambda: stack.health()["status"] == "ok", seconds=120, what="web app")
    time.sleep(15)  # the first rounds of every loop
    return idle(stack, IDLE_SECONDS)


def pages(stack: Stack, links: list[tuple[str, str]]) -> tuple[list[float], list[float]]:
    chosen = [token for _reference, token in random.sample(links, min(PAGES, len(links)))]
    page_ms, health_ms = [], []
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        client.get("/api/health")
        for token in chosen:
            started = time.perf_counter()
            assert client.get(f"/s/{token}").status_code == 200
            page_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.get("/api/health")
            health_ms.append((time.perf_counter() - started) * 1000)
    return page_ms, health_ms


def row(name: str, values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20)[-1]
    return f"  {name:34} p50 {statistics.median(values):6.1f} ms  p95 {p95:6.1f} ms"


def sweep(stack: Stack) -> tuple[float, float]:
    """Run the deadline watch once; return its run's and its check task's seconds."""
    run_id = run_deadline_watch(stack.prefect, utcnow())
    eventually(
        lambda: stack.prefect.flow_run(run_id)["state"]["type"] == "COMPLETED",
        seconds=600,
        what="the watch",
    )
    run = stack.prefect.flow_run(run_id)
    tasks = stack.prefect.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}})
    check = [t for t in tasks if t["name"].startswith("check-deadlines")]
    return float(run["total_run_time"]), float(check[0]["total_run_time"]) if check else 0.0


def decide_some(stack: Stack, links: list[tuple[str, str]], complainant: str, count: int) -> None:
    """Ask the complainant of a few copies a question; each must get the email (every
    copy keeps the template's complainant)."""
    for reference, token in random.sample(links, count):
        decide(f"{stack.base_url}/s/{token}", {"ours": "ask", "question": "A photo, please?"})
        next_link(stack, complainant, reference, set())


def main(count: int) -> None:
    if not POSTGRES_URL:
        sys.exit("set COMPLAINTS_TEST_POSTGRES_URL: this benchmark runs on PostgreSQL")
    print(f"open-complaints benchmark: {count + 1} complaints waiting, PostgreSQL, warm worker")
    # The worker polls every second, as `make run`'s does (the tests' poll 4 times a second).
    with (
        tempfile.TemporaryDirectory() as tmp,
        whole_stack(Path(tmp), PREFECT_WORKER_QUERY_SECONDS="1") as stack,
    ):
        eventually(lambda: stack.health()["status"] == "ok", what="web app")
        filed = template(stack)
        started = time.perf_counter()
        links = generate(stack, filed["id"], count)
        print(f"generated {count} copies in {time.perf_counter() - started:.0f} s")
        print(f"audit chains of {check_chains(stack)} random copies verified")
        assert stack.worker is not None
        memory_before = rss_mb(group_of(stack.worker.pid))
        for label, off in (
            ("baseline: every Prefect server loop on (Prefect's defaults)", ()),
            ("as the README's production settings: the pause-expiration loop off", OFF),
        ):
            usage = idle_with(stack, off)
            print(f"idle over {IDLE_SECONDS} s, CPU of one core, {label}:")
            for name, percent in usage.items():
                print(f"  {name:34} {percent:5.1f} %")
        memory_idle = rss_mb(group_of(stack.worker.pid))
        page_ms, health_ms = pages(stack, links)
        print(f"{len(page_ms)} step pages of random waiting complaints, one at a time:")
        print(row("GET /s/<token> (assessment page)", page_ms))
        print(row("baseline: GET /api/health", health_ms))
        run_seconds, check_seconds = sweep(stack)
        print(
            f"deadline watch over {count + 1} open steps: run {run_seconds:.2f} s, "
            f"of which the check task {check_seconds:.2f} s"
        )
        decide_some(stack, links, filed["payload_email"], 5)
        eventually(stack.holds_no_run_process, what="the runs to suspend")
        memory_after = rss_mb(group_of(stack.worker.pid))
        print("5 copies decided on: each got its next email")
        print(
            f"worker memory (all its processes): {memory_before:.0f} MB before the idle "
            f"minute, {memory_idle:.0f} MB after it, {memory_after:.0f} MB after the decisions"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

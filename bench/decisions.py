"""Benchmark: a handler's POST -> the next step's email, on the warm worker and on Prefect's
standard process worker, in the same run.

    .venv/bin/python bench/decisions.py [ROUNDS]

Starts the real stack (Prefect server, the worker, the web app, an SMTP server; on
PostgreSQL when COMPLAINTS_TEST_POSTGRES_URL names a server, else SQLite) once per worker
kind, files a complaint and drives ROUNDS (10 by default) rounds of the assessment's
question loop through real links: the handler asks the complainant (-> the complainant's
email), the complainant answers (-> the handler's next assessment email). Each decision
is timed from its POST's answer to its email's arrival; the history grows with every
round, so first and last show whether the cost stays flat over a complaint's life.

Also printed, per worker kind: the whole machine's CPU per decision (busy time of every
core from /proc/stat over the decisions, divided by their number: run this on an
otherwise idle machine; "system" is that without this benchmark's own process, which
plays the people, polls the mailbox every 5 ms and hosts the dev SMTP server), the Prefect
task runs the complaint's run left, and how much the Prefect server's database grew
(PostgreSQL only).

On the warm worker's stack it then measures Prefect's floor: the same number of
decisions on a run of ``bench/floor_flow.py``, which only takes each answer and waits for
the next (Prefect's ``suspend_flow_run``), resumed through Prefect's API as the web app
resumes a complaint's run, timed from the resume to the run's next suspension. What a
complaint's decision costs above that floor is what the system itself spends.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.databases import POSTGRES_URL  # noqa: E402
from tests.support.links import form_guard, step_link  # noqa: E402
from tests.support.people import complaint_payload  # noqa: E402
from tests.support.stack import Stack, eventually, whole_stack  # noqa: E402

HANDLER = "li.wei@acme.example"
FLOOR_ENTRYPOINT = "bench/floor_flow.py:decision_floor"


def next_link(stack: Stack, address: str, reference: str, seen: set[str]) -> tuple[str, float]:
    """Wait (polling every 5 ms) for a new email with a step link; return it and when.

    Emails without one (the acknowledgement, status news) are passed over.
    """
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for message in stack.mail_to(address, reference):
            if message.key not in seen:
                seen.add(message.key)
                if "/s/" in message.part("plain"):
                    return step_link(message), time.perf_counter()
        time.sleep(0.005)
    raise TimeoutError(f"no new email to {address}")


def decide(link: str, form: dict[str, str]) -> float:
    """Post a step form as its page would; return when the answer came."""
    guard = form_guard(httpx.get(link, timeout=10).text)
    response = httpx.post(link, data={"guard": guard, **form}, timeout=30)
    assert response.status_code == 200, response.status_code
    return time.perf_counter()


@dataclass
class Figures:
    latencies: list[float]  # seconds, POST -> email, per decision
    cpu_per_decision: float  # CPU seconds of the whole machine
    driver_cpu_per_decision: float  # of which this benchmark's own process
    task_runs: int  # Prefect task runs of the complaint's run
    prefect_db_growth: int | None  # bytes (PostgreSQL only)


def own_cpu_seconds() -> float:
    """Return the CPU time this process (all its threads) has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def busy_seconds() -> float:
    """Return the CPU time all cores have spent busy since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def prefect_db_size(stack: Stack) -> int | None:
    url = stack.prefect.database_url
    if url is None:
        return None
    with psycopg.connect(url.replace("postgresql+asyncpg://", "postgresql://")) as db:
        row = db.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return int(row[0])


@dataclass
class Since:
    """What was read before the decisions: the Prefect database's size (PostgreSQL only),
    the machine's busy CPU seconds and this process's own."""

    prefect_db_size: int | None
    busy: float
    own: float


def figures(stack: Stack, run_id: str, latencies: list[float], since: Since) -> Figures:
    """Return what the decisions of ``run_id`` cost since ``since``."""
    cpu = (busy_seconds() - since.busy) / len(latencies)
    driver_cpu = (own_cpu_seconds() - since.own) / len(latencies)
    task_runs = stack.prefect.post("/task_runs/count", {"flow_runs": {"id": {"any_": [run_id]}}})
    size_after = prefect_db_size(stack)
    before = since.prefect_db_size
    growth = None if before is None or size_after is None else size_after - before
    return Figures(latencies, cpu, driver_cpu, int(task_runs), growth)


def drive(stack: Stack, rounds: int) -> Figures:
    """Drive one complaint through ``rounds`` rounds; return what it cost."""
    size_before = prefect_db_size(stack)
    payload = complaint_payload()
    filed = stack.file_complaint(payload)
    reference = filed["reference"]
    complainant, seen = payload["complainant"]["email"], set[str]()
    link, _ = next_link(stack, HANDLER, reference, seen)
    busy_before, own_before = busy_seconds(), own_cpu_seconds()
    latencies = []
    for n in range(rounds):
        posted = decide(link, {"ours": "ask", "question": f"Photo {n} of the base, please?"})
        answer_link, arrived = next_link(stack, complainant, reference, seen)
        latencies.append(arrived - posted)
        posted = decide(answer_link, {"answer": f"Here is photo {n}."})
        link, arrived = next_link(stack, HANDLER, reference, seen)
        latencies.append(arrived - posted)
    # The last run suspends just after its email: wait for that, so its CPU counts.
    run_id = stack.complaint(filed["id"])["flow_run_id"]
    eventually(lambda: stack.holds_no_run_process(), what="the run to suspend")
    return figures(stack, run_id, latencies, Since(size_before, busy_before, own_before))


def start_floor_run(stack: Stack) -> str:
    """Deploy the floor flow to the stack's pool and start a run of it; return its id."""
    flow = stack.prefect.post("/flows/", {"name": "decision-floor"})
    deployment = stack.prefect.post(
        "/deployments/",
        {
            "name": "decision-floor",
            "flow_id": flow["id"],
            "entrypoint": FLOOR_ENTRYPOINT,
            "work_pool_name": "complaints",
        },
    )
    run = stack.prefect.post(f"/deployments/{deployment['id']}/create_flow_run", {})
    run_id = str(run["id"])
    stack.prefect.wait_suspended_at(run_id, "answer-1")
    eventually(stack.holds_no_run_process, what="the floor run to suspend")
    return run_id


def next_suspension(stack: Stack, run_id: str, key: str) -> float:
    """Wait (watching /proc every 5 ms, which costs Prefect nothing) for the run's process
    to come and go; check it waits at ``key``; return when its process ended."""
    deadline = time.monotonic() + 120
    while stack.holds_no_run_process():
        if time.monotonic() > deadline:
            raise TimeoutError("the floor run did not start")
        time.sleep(0.005)
    while not stack.holds_no_run_process():
        time.sleep(0.005)
    ended = time.perf_counter()
    stack.prefect.wait_suspended_at(run_id, key, seconds=30)
    return ended


def drive_floor(stack: Stack, decisions: int) -> Figures:
    """Resume the floor flow's run ``decisions`` times; return what it cost."""
    size_before = prefect_db_size(stack)
    run_id = start_floor_run(stack)
    busy_before, own_before = busy_seconds(), own_cpu_seconds()
    latencies = []
    for n in range(1, decisions + 1):
        resumed = time.perf_counter()
        stack.prefect.post(f"/flow_runs/{run_id}/resume", {"run_input": {"answer": f"{n}"}})
        latencies.append(next_suspension(stack, run_id, f"answer-{n + 1}") - resumed)
    return figures(stack, run_id, latencies, Since(size_before, busy_before, own_before))


def measure(kind: str, rounds: int) -> list[Figures]:
    """Drive a complaint on a stack with the ``kind`` of worker; on the warm one, then
    measure Prefect's floor on the same stack."""
    # The worker polls every second, as `make run`'s does.
    with (
        tempfile.TemporaryDirectory() as tmp,
        whole_stack(Path(tmp), worker_kind=kind, PREFECT_WORKER_QUERY_SECONDS="1") as stack,
    ):
        eventually(lambda: stack.health()["status"] == "ok", what="web app")
        measured = [drive(stack, rounds)]
        if kind == "warm":
            measured.append(drive_floor(stack, 2 * rounds))
        return measured


def report(label: str, figures: Figures) -> None:
    times = figures.latencies
    p95 = statistics.quantiles(times, n=20)[-1]
    growth = (
        "n/a"
        if figures.prefect_db_growth is None
        else (f"{figures.prefect_db_growth / 2**20:.1f} MB")
    )
    print(
        f"{label:36} median {statistics.median(times):5.2f}  p95 {p95:5.2f}  "
        f"first {times[0]:5.2f}  last {times[-1]:5.2f}  "
        f"CPU {figures.cpu_per_decision:5.2f} s "
        f"(system {figures.cpu_per_decision - figures.driver_cpu_per_decision:4.2f})  "
        f"task runs {figures.task_runs}  "
        f"Prefect DB +{growth}"
    )


def main(rounds: int) -> None:
    backend = "PostgreSQL" if POSTGRES_URL else "SQLite"
    print(f"decision benchmark: {2 * rounds} decisions on one complaint, {backend}")
    print("POST -> next step's email, seconds; workers poll every 1 s")
    print("  (and the whole machine's CPU seconds per decision, and the system's without this")
    print("  benchmark's own process, the complaint's Prefect task")
    print("  runs, the Prefect database's growth)")
    process = measure("process", rounds)
    report("baseline: Prefect's process worker", process[0])
    warm, floor = measure("warm", rounds)
    report("warm worker", warm)
    report("Prefect's floor, warm worker", floor)
    print("  (the floor: a run that only takes each answer and waits again, resumed through")
    print("  Prefect's API; timed from the resume to its next suspension)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)

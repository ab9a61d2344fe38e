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
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.databases import POSTGRES_URL  # noqa: E402
from tests.support.links import form_guard, step_link  # noqa: E402
from tests.support.people import complaint_payload  # noqa: E402
from tests.support.stack import Stack, eventually, whole_stack  # noqa: E402

HANDLER = "li.wei@acme.example"


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


def drive(stack: Stack, rounds: int) -> list[float]:
    """Return the POST -> email latency of each decision, in seconds."""
    payload = complaint_payload()
    reference = stack.file_complaint(payload)["reference"]
    complainant, seen = payload["complainant"]["email"], set[str]()
    link, _ = next_link(stack, HANDLER, reference, seen)
    latencies = []
    for n in range(rounds):
        posted = decide(link, {"ours": "ask", "question": f"Photo {n} of the base, please?"})
        answer_link, arrived = next_link(stack, complainant, reference, seen)
        latencies.append(arrived - posted)
        posted = decide(answer_link, {"answer": f"Here is photo {n}."})
        link, arrived = next_link(stack, HANDLER, reference, seen)
        latencies.append(arrived - posted)
    return latencies


def measure(kind: str, rounds: int) -> list[float]:
    # The worker polls every second, as `make run`'s does.
    with (
        tempfile.TemporaryDirectory() as tmp,
        whole_stack(Path(tmp), worker_kind=kind, PREFECT_WORKER_QUERY_SECONDS="1") as stack,
    ):
        eventually(lambda: stack.health()["status"] == "ok", what="web app")
        return drive(stack, rounds)


def main(rounds: int) -> None:
    backend = "PostgreSQL" if POSTGRES_URL else "SQLite"
    print(f"decision benchmark: {2 * rounds} decisions on one complaint, {backend}")
    print("POST -> next step's email, seconds; workers poll every 1 s")
    for kind, label in (("process", "baseline: Prefect's process worker"), ("warm", "warm worker")):
        times = measure(kind, rounds)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"{label:36} median {statistics.median(times):5.2f}  p95 {p95:5.2f}  "
            f"first {times[0]:5.2f}  last {times[-1]:5.2f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)

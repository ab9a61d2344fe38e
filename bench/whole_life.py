"""Benchmark: what one complaint's whole life costs, on the warm worker and on Prefect's
standard process worker, in the same run.

    .venv/bin/python bench/whole_life.py

Starts the real stack once per worker kind (on PostgreSQL: COMPLAINTS_TEST_POSTGRES_URL
must name a server) and acts out the end-to-end scenario of
``tests/e2e/test_corrective.py``: one systemic complaint from receipt through meetings,
five actions with five owners, an overdue action, the incident report, two answers, the
survey, two effectiveness checks, closure and a reopening (its assertions run too; a
second complaint on the same product is filed for the recurrence count and waits at its
assessment). Prints
per worker kind: the wall time, the whole machine's CPU seconds over the life and the
system's without this benchmark's own process (which plays the people and hosts the dev
SMTP server), the decisions and emails it took, the complaint's Prefect task runs, and how
much the Prefect server's database grew.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.decisions import busy_seconds, own_cpu_seconds, prefect_db_size  # noqa: E402
from complaints.db import make_engine  # noqa: E402
from complaints.enums import StepStatus  # noqa: E402
from complaints.models import Complaint, Step  # noqa: E402
from tests.e2e import test_corrective as scenario  # noqa: E402
from tests.support.databases import POSTGRES_URL  # noqa: E402
from tests.support.stack import Stack, eventually, whole_stack  # noqa: E402


@dataclass
class Figures:
    seconds: float
    cpu: float  # whole machine
    driver_cpu: float  # this process
    decisions: int
    emails: int
    task_runs: int
    prefect_db_growth: int | None


def live_once(stack: Stack) -> Figures:
    sessions = sessionmaker(make_engine(stack.database_url), expire_on_commit=False)
    size_before = prefect_db_size(stack)
    busy_before, own_before, started = busy_seconds(), own_cpu_seconds(), time.perf_counter()
    scenario.test_systemic_case_from_root_cause_through_answer_follow_up_and_effectiveness_to_closure(
        stack, stack.prefect, sessions, "postgresql"
    )
    eventually(stack.holds_no_run_process, seconds=120, what="the last run to end")
    seconds = time.perf_counter() - started
    cpu, driver_cpu = busy_seconds() - busy_before, own_cpu_seconds() - own_before
    with sessions() as db:
        # The scenario also files a recurrence (counted by the effectiveness check).
        complaint = db.scalars(select(Complaint).order_by(Complaint.received_at)).first()
        assert complaint is not None
        decisions = db.scalar(
            select(func.count())
            .select_from(Step)
            .where(Step.complaint_id == complaint.id, Step.status == StepStatus.DECIDED)
        )
        run_id = complaint.flow_run_id
    task_runs = stack.prefect.post(
        "/task_runs/count", {"flow_runs": {"id": {"any_": [str(run_id)]}}}
    )
    size_after = prefect_db_size(stack)
    return Figures(
        seconds=seconds,
        cpu=cpu,
        driver_cpu=driver_cpu,
        decisions=int(decisions or 0),
        emails=len(stack.mailbox.store.messages()),
        task_runs=int(task_runs),
        prefect_db_growth=None
        if size_before is None or size_after is None
        else size_after - size_before,
    )


def measure(kind: str) -> Figures:
    with tempfile.TemporaryDirectory() as tmp, whole_stack(Path(tmp), worker_kind=kind) as stack:
        eventually(lambda: stack.health()["status"] == "ok", what="web app")
        return live_once(stack)


def main() -> None:
    if not POSTGRES_URL:
        sys.exit("set COMPLAINTS_TEST_POSTGRES_URL: the scenario runs on PostgreSQL")
    print("whole-life benchmark: one systemic complaint from receipt to closure and reopening")
    for kind, label in (("process", "baseline: Prefect's process worker"), ("warm", "warm worker")):
        f = measure(kind)
        growth = "n/a" if f.prefect_db_growth is None else f"{f.prefect_db_growth / 2**20:.1f} MB"
        print(
            f"{label:36} {f.seconds:6.0f} s  CPU {f.cpu:6.1f} s (system "
            f"{f.cpu - f.driver_cpu:5.1f} s)  {f.decisions} decisions, {f.emails} emails  "
            f"task runs {f.task_runs}  Prefect DB +{growth}"
        )


if __name__ == "__main__":
    main()

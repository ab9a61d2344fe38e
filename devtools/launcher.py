"""What starts the system, in one place: `make run` (scripts/devstack.py), the tests and the
benchmarks (tests/support/stack.py) launch the same components the same way.

It says *what* to start (the Prefect server, the work pool and prefect.yaml's deployments,
a worker, the web app) and with which Prefect environment; each caller keeps its own way
of supervising the processes (a foreground terminal, or log files and process groups).
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's virtual environment: where the running interpreter lives.
BIN = Path(sys.executable).parent
POOL = "complaints"
# Waiting (suspended) runs hold no slot; this bounds the runs executing at once.
POOL_LIMIT = 8


def prefect_env(
    base: Mapping[str, str], *, home: Path, api_port: int, worker_query_seconds: float = 1
) -> dict[str, str]:
    """Return ``base`` plus what every Prefect-facing process of one stack shares."""
    env = dict(base)
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=f"http://127.0.0.1:{api_port}/api",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(api_port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        # A decision should move the flow on within seconds, not the default 10+.
        PREFECT_WORKER_QUERY_SECONDS=str(worker_query_seconds),
        PREFECT_WORKER_PREFETCH_SECONDS="5",
        # Runs beat every 30 s, so a run whose worker was killed is noticed and restarted.
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY="30",
        # Suspends here never expire (the deadline watch decides what is late), and this
        # loop reads every suspended run each round: 40 % of a core at 10,000 waiting
        # complaints (bench/open_complaints.py).
        PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED="false",
    )
    return env


def server_command() -> list[str]:
    """Return the command of the Prefect server (its database from the environment)."""
    return [str(BIN / "prefect"), "server", "start"]


def worker_command(kind: str = "warm") -> list[str]:
    """Return the command of a worker of the pool: ours ("warm") or Prefect's ("process")."""
    return {
        "warm": [str(BIN / "python"), "-m", "flows.warm_worker", "--pool", POOL],
        "process": [str(BIN / "prefect"), "worker", "start", "--pool", POOL],
    }[kind]


def web_command(host: str, port: int) -> list[str]:
    """Return the command of one web app process."""
    return [str(BIN / "uvicorn"), "ui_api.main:app", "--host", host, "--port", str(port)]


def deploy(env: Mapping[str, str]) -> None:
    """Create the work pool (once), bound its concurrency, and apply prefect.yaml."""
    prefect = str(BIN / "prefect")
    subprocess.run(
        [prefect, "work-pool", "create", POOL, "--type", "process"],
        env=env,
        cwd=ROOT,
        capture_output=True,
    )  # fails harmlessly when the pool exists
    for args in (
        ["work-pool", "set-concurrency-limit", POOL, str(POOL_LIMIT)],
        ["--no-prompt", "deploy", "--all"],
    ):
        done = subprocess.run([prefect, *args], env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"prefect {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def apply_automations(env: Mapping[str, str]) -> None:
    """Apply the automations shipped with the system (flows/automations.py; idempotent)."""
    done = subprocess.run(
        [str(BIN / "python"), "-m", "flows.automations"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"applying the automations failed:\n{done.stdout}{done.stderr}")


def wait_http(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Wait until ``url`` answers 200 while ``process`` lives, or fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds:.0f} s")

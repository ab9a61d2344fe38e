"""Start the whole system on its embedded defaults, in the foreground (``make run``).

Prefect server (SQLite, PREFECT_HOME in var/prefect) -> work pool and deployments from
prefect.yaml -> the warm worker (flows/warm_worker.py) -> the web app (which also runs
the development mailbox when no COMPLAINTS_SMTP_HOST is set). Ctrl-C stops every child
process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.migrate import upgrade  # noqa: E402
from complaints.settings import get_settings  # noqa: E402

BIN = Path(sys.executable).parent
POOL = "complaints"
POOL_LIMIT = 8


def prefect_env(api_port: int, home: Path) -> dict[str, str]:
    """Return the environment every Prefect-facing child gets (never the user's own setup)."""
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=f"http://127.0.0.1:{api_port}/api",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(api_port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL=env.get("PREFECT_LOGGING_LEVEL", "INFO"),
        # A decision should move the flow on within seconds, not the default 10+.
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="5",
        # Runs beat every 30 s, so a run whose worker was killed is noticed and restarted.
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY="30",
        # Suspends here never expire (the deadline watch decides what is late), and this
        # loop reads every suspended run each round: 40 % of a core at 10,000 waiting
        # complaints (bench/open_complaints.py).
        PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED="false",
    )
    return env


def wait_for(url: str, seconds: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``url`` answers 200, or fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds:.0f} s")


def ensure_free(host: str, port: int, what: str) -> None:
    """Refuse to start when a port is taken (an earlier run still up, or another program)."""
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            raise SystemExit(f"Port {port} ({what}) is already in use: is the system running?")


def run(args: list[str], env: dict[str, str]) -> None:
    """Run a setup command, failing loudly."""
    subprocess.run(args, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop children newest first: SIGINT, then SIGTERM, then SIGKILL."""
    for child in reversed(children):
        for sig, grace in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if child.poll() is not None:
                break
            child.send_signal(sig)
            try:
                child.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue


def main() -> int:
    settings = get_settings()
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    if not settings.organization_file.exists():
        shutil.copy(ROOT / "samples" / "organization.toml", settings.organization_file)
        print(f"Seeded the sample organization: {settings.organization_file}")
    ensure_free("127.0.0.1", settings.prefect_port, "Prefect server")
    ensure_free(settings.http_host, settings.http_port, "web app")
    if settings.dev_mailbox_enabled:
        ensure_free(*settings.smtp_server, "development mailbox")
    upgrade()
    env = prefect_env(settings.prefect_port, var / "prefect")
    api = env["PREFECT_API_URL"]
    children: list[subprocess.Popen[bytes]] = []
    # Ctrl-C and SIGTERM both stop everything (even when started from a script that
    # ignores SIGINT for its background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server = subprocess.Popen([str(BIN / "prefect"), "server", "start"], env=env, cwd=ROOT)
        children.append(server)
        wait_for(f"{api}/health", 90, server)
        subprocess.run(
            [str(BIN / "prefect"), "work-pool", "create", POOL, "--type", "process"],
            env=env,
            cwd=ROOT,
            capture_output=True,
        )  # fails harmlessly when the pool exists
        # Waiting (suspended) runs hold no slot; this bounds the runs executing at once.
        run(
            [str(BIN / "prefect"), "work-pool", "set-concurrency-limit", POOL, str(POOL_LIMIT)],
            env,
        )
        run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"], env)
        # Prefect's process worker for the same pool: prefect worker start --pool complaints
        children.append(
            subprocess.Popen(
                [str(BIN / "python"), "-m", "flows.warm_worker", "--pool", POOL], env=env, cwd=ROOT
            )
        )
        web = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "ui_api.main:app",
                "--host",
                settings.http_host,
                "--port",
                str(settings.http_port),
            ],
            env=env,
            cwd=ROOT,
        )
        children.append(web)
        base = f"http://{settings.http_host}:{settings.http_port}"
        wait_for(f"{base}/api/health", 60, web)
        print_banner(settings.prefect_port, base, settings.dev_mailbox_enabled)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A component stopped; shutting down the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        stop(children)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def print_banner(prefect_port: int, base: str, mailbox: bool) -> None:
    """Tell the newcomer where to click."""
    lines = [
        "",
        "The complaints system is running. Ctrl-C stops it.",
        f"  Prefect UI (operators):  http://127.0.0.1:{prefect_port}",
        f"  Web app:                 {base}",
        f"  API docs:                {base}/docs",
    ]
    if mailbox:
        lines.append(f"  Development mailbox:     {base}/dev/mailbox")
    lines += ["  File a sample complaint: make demo", ""]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())

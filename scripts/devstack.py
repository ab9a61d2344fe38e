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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.migrate import upgrade  # noqa: E402
from complaints.settings import get_settings  # noqa: E402
from devtools.launcher import (  # noqa: E402
    apply_automations,
    deploy,
    prefect_env,
    server_command,
    wait_http,
    web_command,
    worker_command,
)


def ensure_free(host: str, port: int, what: str) -> None:
    """Refuse to start when a port is taken (an earlier run still up, or another program)."""
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            raise SystemExit(f"Port {port} ({what}) is already in use: is the system running?")


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
    env = prefect_env(os.environ, home=var / "prefect", api_port=settings.prefect_port)
    env.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    children: list[subprocess.Popen[bytes]] = []
    # Ctrl-C and SIGTERM both stop everything (even when started from a script that
    # ignores SIGINT for its background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server = subprocess.Popen(server_command(), env=env, cwd=ROOT)
        children.append(server)
        wait_http(f"{env['PREFECT_API_URL']}/health", server)
        deploy(env)
        apply_automations(env)
        children.append(subprocess.Popen(worker_command(), env=env, cwd=ROOT))
        web = subprocess.Popen(
            web_command(settings.http_host, settings.http_port), env=env, cwd=ROOT
        )
        children.append(web)
        base = f"http://{settings.http_host}:{settings.http_port}"
        wait_http(f"{base}/api/health", web, 60)
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

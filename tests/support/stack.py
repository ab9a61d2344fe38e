"""The whole system for end-to-end tests: Prefect server, worker, web app, SMTP server."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from complaints.migrate import upgrade
from devtools import launcher
from devtools.mailbox import DevMailbox, StoredMessage
from tests.support.databases import asyncpg_url, postgres_database
from tests.support.processes import (
    ROOT,
    flow_run_processes,
    free_port,
    start,
    stop,
    wait_http,
)

# Server services the tests do not need: suspends never expire, nothing is late or
# cancelled, and no worker needs marking offline. Each costs the server a loop.
IDLE_SERVICES = ("PAUSE_EXPIRATIONS", "LATE_RUNS", "CANCELLATION_CLEANUP", "FOREMAN")


def prefect_env(home: Path, api_port: int) -> dict[str, str]:
    """Return an environment that points Prefect at the test server only."""
    own = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COMPLAINTS_"))}
    return launcher.prefect_env(own, home=home, api_port=api_port, worker_query_seconds=0.25)


@dataclass
class PrefectServer:
    home: Path
    port: int
    # PostgreSQL (asyncpg URL) when the tests have one: a SQLite-backed server answers
    # 503 under the suites' bursts. None: Prefect's SQLite default in ``home``.
    database_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    # The server loops left off (a benchmark of production's load turns them all on).
    idle_services: tuple[str, ...] = IDLE_SERVICES

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Start the server and deploy prefect.yaml to it."""
        self.launch()
        launcher.deploy(prefect_env(self.home, self.port))
        self.set_watch_schedule(active=False)
        self.set_watch_schedule(active=False, name="trend-watch")
        self.set_watch_schedule(active=False, name="privacy-retention")

    def set_watch_schedule(self, *, active: bool, name: str = "deadline-watch") -> None:
        """Turn a watch's schedule (the deadline watch's every minute, the trend watch's
        every day) on or off.

        Off for the tests: each run is a flow-run process nobody asserts on. The tests
        that need a watch start its runs with a moved clock; one test turns the
        schedule on to see the server schedule it. Turning it off deletes its runs.
        """
        deployment = self.get(f"/deployments/name/{name}/{name}")
        for schedule in deployment["schedules"]:
            self._call(
                "PATCH",
                f"/deployments/{deployment['id']}/schedules/{schedule['id']}",
                {"active": active},
            )

    def launch(self) -> None:
        """Start the server process on its home and port (again, after a stop)."""
        env = prefect_env(self.home, self.port)
        env.update(
            {f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in self.idle_services}
        )
        env["PREFECT_LOGGING_SERVER_LEVEL"] = "WARNING"
        # The scheduling test turns a schedule on: the scheduler need not wait a minute.
        env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "5"
        if self.database_url:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        log = self.home / "server.log"
        self.process = start(launcher.server_command(), env, log)
        wait_http(f"{self.api_url}/health", self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def get(self, path: str) -> Any:
        return self._call("GET", path, None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PATCH", path, body)

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path, None)

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        # A busy SQLite-backed server answers 503, or nothing for a while, now and then;
        # Prefect's own client retries those, and so does a person clicking again in the UI.
        for attempt in range(10):
            try:
                response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=10)
            except httpx.TimeoutException:
                if attempt == 9:
                    raise
                continue
            if response.status_code != 503:
                break
            time.sleep(0.5)
        response.raise_for_status()
        return response.json() if response.content else None

    def flow_run(self, flow_run_id: str) -> dict[str, Any]:
        return dict(self.get(f"/flow_runs/{flow_run_id}"))

    def wait_suspended_at(self, run_id: str, key: str, *, seconds: float = 300) -> dict[str, Any]:
        """Wait until a run is suspended at a step's key; return its state."""

        def check() -> dict[str, Any] | None:
            state = dict(self.flow_run(run_id)["state"])
            suspended = state["type"] == "PAUSED"
            return state if suspended and state["state_details"].get("pause_key") == key else None

        return dict(eventually(check, seconds=seconds, what=f"run suspended at {key}"))


@dataclass
class Stack:
    """A worker and a web app on one database, with the shared server and SMTP server."""

    prefect: PrefectServer
    mailbox: DevMailbox
    database_url: str
    workdir: Path
    organization_file: Path = ROOT / "samples" / "organization.toml"
    web_port: int = field(default_factory=free_port)
    # "warm" (flows.warm_worker, the default) or "process" (Prefect's standard worker).
    worker_kind: str = "warm"
    worker: subprocess.Popen[bytes] | None = None
    web: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self, **overrides: str) -> dict[str, str]:
        env = prefect_env(self.prefect.home, self.prefect.port)
        env.update(
            COMPLAINTS_DATABASE_URL=self.database_url,
            COMPLAINTS_SMTP_HOST=self.mailbox.host,
            COMPLAINTS_SMTP_PORT=str(self.mailbox.port),
            COMPLAINTS_PUBLIC_URL=self.base_url,
            COMPLAINTS_HTTP_PORT=str(self.web_port),
            COMPLAINTS_ORGANIZATION_FILE=str(self.organization_file),
            # Mail to the complaints address, sent to the test SMTP server, comes in.
            COMPLAINTS_INBOUND_MAILDIR=str(self.mailbox.store.path),
            COMPLAINTS_INBOUND_POLL_SECONDS="1",
            COMPLAINTS_UPLOAD_DIR=str(self.workdir / "uploads"),
            COMPLAINTS_SECRET_KEY="test-secret-" + uuid.uuid4().hex,
            # Tests fail links on purpose from one address, and restart SMTP quickly.
            COMPLAINTS_LINK_FAILURE_LIMIT="100000",
            COMPLAINTS_OUTBOX_RETRY_BASE_SECONDS="0.5",
            COMPLAINTS_OUTBOX_RETRY_MAX_SECONDS="3",
            COMPLAINTS_RUN_STALL_SECONDS="45",
            COMPLAINTS_OUTBOX_CLAIM_SECONDS="10",
        )
        env.update(overrides)
        return env

    def start(self, **overrides: str) -> None:
        """Start the worker and the web app (environment overrides for both)."""
        # References restart in every database: mail from another stack must not match.
        self.mailbox.store.clear()
        self._env = self.env(**overrides)
        self.start_worker()
        self.start_web()

    def start_worker(self) -> None:
        self.worker = self.start_another_worker("worker")

    def start_another_worker(self, name: str, *extra: str) -> subprocess.Popen[bytes]:
        """Start a worker of the stack's kind on the same pool (its log: ``<name>.log``)."""
        command = launcher.worker_command(self.worker_kind)
        return start([*command, *extra], self._env, self.workdir / f"{name}.log")

    def holds_no_run_process(self) -> bool:
        """Whether no flow run executes (every run waits, holding no process)."""
        assert self.worker is not None
        return not flow_run_processes(self.worker.pid)

    def start_web(self, **overrides: str) -> None:
        env = {**self._env, **overrides}
        self.web = start(
            launcher.web_command("127.0.0.1", self.web_port), env, self.workdir / "web.log"
        )
        wait_http(f"{self.base_url}/api/health", self.web)

    def restart_web(self, **overrides: str) -> None:
        """Stop the web app and start it again, with environment overrides."""
        if self.web is not None:
            stop(self.web)
        self.start_web(**overrides)

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process is not None:
                stop(process)

    # -- acting as people do ------------------------------------------------------------

    def file_complaint(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.base_url}/api/complaints", json=payload, timeout=10)
        assert response.status_code == 201, response.text
        created = dict(response.json())
        created["payload_name"] = payload["complainant"]["name"]
        created["payload_email"] = payload["complainant"]["email"]
        return created

    def complaint(self, complaint_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/api/complaints/{complaint_id}", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/api/health", timeout=10).json())

    def mail_to(self, address: str, reference: str) -> list[StoredMessage]:
        return [
            m
            for m in self.mailbox.store.messages()
            if address in m.to and reference in m.subject + m.part("plain")
        ]


@contextmanager
def whole_stack(folder: Path, *, worker_kind: str = "warm", **env: str) -> Iterator[Stack]:
    """Start everything in ``folder`` (a Prefect server, an SMTP server, the worker and the
    web app; on PostgreSQL when there is one, else SQLite) and stop it all afterwards."""
    with (
        postgres_database("stack_prefect") as prefect_db,
        postgres_database("stack_complaints") as complaints_db,
        ExitStack() as cleanup,
    ):
        prefect = PrefectServer(
            home=folder / "prefect", port=free_port(), database_url=asyncpg_url(prefect_db)
        )
        prefect.home.mkdir()
        prefect.start()
        cleanup.callback(prefect.stop)
        mailbox = DevMailbox(folder / "mail", port=free_port())
        mailbox.start()
        cleanup.callback(mailbox.stop)
        url = complaints_db or f"sqlite:///{folder / 'complaints.db'}"
        upgrade(url)
        stack = Stack(
            prefect=prefect,
            mailbox=mailbox,
            database_url=url,
            workdir=folder,
            worker_kind=worker_kind,
        )
        stack.start(**env)
        cleanup.callback(stack.stop)
        yield stack


def eventually(check: Callable[[], Any], *, seconds: float = 60, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy; return that.

    Polls back off from 50 ms to 0.5 s: quick answers are seen at once, and a long wait
    does not keep the machine busy asking.
    """
    deadline = time.monotonic() + seconds
    last: Any = None
    pause = 0.05
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(pause)
        pause = min(pause * 1.5, 0.5)
    raise AssertionError(f"timed out after {seconds} s waiting for {what or check}: {last!r}")


def run_deadline_watch(server: PrefectServer, as_of: datetime) -> str:
    """Start a run of the deadline watch with its clock at ``as_of``; return its id."""
    deployment = server.get("/deployments/name/deadline-watch/deadline-watch")
    run = server.post(
        f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"as_of": as_of.isoformat()}},
    )
    return str(run["id"])

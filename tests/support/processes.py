"""Start and stop the real components the tests run against."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from devtools.launcher import BIN, ROOT, wait_http

__all__ = ["BIN", "ROOT", "free_port", "start", "stop", "wait_http"]


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a component with its output in a log file, in its own process group."""
    handle = log.open("ab")
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes], *, hard: bool = False) -> None:
    """Stop a component and everything it started."""
    if process.poll() is not None:
        return
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGKILL if hard else signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        process.wait(timeout=5)


def children_of(pid: int) -> list[int]:
    """Return the pids of a process's direct children (from /proc).

    Each thread's ``children`` file lists what it started: a few reads, cheap enough for
    a benchmark to watch every few milliseconds. Where the kernel has no such file, every
    process's parent is read instead.
    """
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return [int(child) for task in tasks for child in (task / "children").read_text().split()]
    except FileNotFoundError:
        return _children_by_scan(pid)
    except OSError:
        return []


def _children_by_scan(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent pid; the command name (field 2) may hold spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def flow_run_processes(worker_pid: int) -> list[int]:
    """Return the processes a worker runs flow runs in (none while every run waits).

    Prefect's process worker starts each run as its child (which starts the engine); the
    warm worker forks each from its forkserver, a child of its own that is no run.
    """
    found = []
    for child in children_of(worker_pid):
        if _is_multiprocessing_helper(child):
            found += children_of(child)  # the forkserver's children are runs
        else:
            found.append(child)
    return found


def _is_multiprocessing_helper(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"multiprocessing" in command

"""What Prefect holds of a run: to check that no personal data reached it."""

from __future__ import annotations

from typing import Any

from tests.support.stack import PrefectServer, eventually


def everything_prefect_holds(server: PrefectServer, run_id: str, last_log: str) -> str:
    """Return all Prefect keeps of a run (once its last log line has arrived), as text."""
    # Logs and events reach the API in batches, after the run: wait for the last ones.
    logs = eventually(
        lambda: (
            (found := _all_logs(server, run_id))
            and any(last_log in log["message"] for log in found)
            and found
        ),
        what="the run's last log line",
    )
    events = eventually(
        lambda: server.post(
            "/events/filter",
            {
                "filter": {"any_resource": {"id": [f"prefect.flow-run.{run_id}"]}},
                "limit": 50,
            },
        )["events"],
        what="the run's events",
    )
    parts: list[Any] = [server.flow_run(run_id), logs, events]
    parts.append(
        server.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200})
    )
    parts.append(
        server.post(
            "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}, "limit": 200}
        )
    )
    parts.append(server.post(f"/flow_runs/{run_id}/input/filter", {"prefix": "", "limit": 1000}))
    return repr(parts)


def _all_logs(server: PrefectServer, run_id: str) -> list[Any]:
    logs: list[Any] = []
    while True:
        page = server.post(
            "/logs/filter",
            {"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200, "offset": len(logs)},
        )
        logs += page
        if len(page) < 200:
            return logs

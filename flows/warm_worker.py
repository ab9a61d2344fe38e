"""A warm worker for the ``complaints`` pool: each flow run starts in milliseconds.

Prefect's process worker starts every flow run, and every resume of a suspended one, as
a new interpreter that imports Prefect twice (a workspace supervisor, then the engine):
seconds per human decision. This worker is Prefect's own process worker with one change:
a run's process is forked from a *forkserver* (the standard library's) that imported
Prefect's engine and this project's flows once, when the worker started. The run then
executes exactly as ``python -m prefect.engine <flow-run-id>`` would, in a process of its
own:

- waiting still holds nothing: a suspended run's process exits, as before;
- one run's crash or hang touches no other run (each is its own process), and a process
  that exits non-zero is reported Crashed by the worker base class, as Prefect's does;
- memory stays flat: every run's process exits when it ends or suspends;
- if the worker (and with it the forkserver) dies, its runs look dead to the web app's
  loop (no heartbeat), which starts them again on any worker of the pool.

It also listens to Prefect's event stream and looks for work as soon as a run is scheduled
(a decision resumed it), besides polling as every worker does.

What a resume costs is spent where it buys nothing for these runs, so the worker:

- reads a deployment and its flow once per ``DEFINITION_SECONDS`` rather than three times
  per run (a changed deployment is seen that much later);
- skips the client's server-version check and CSRF probe in every run's process
  (``PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED`` and ``PREFECT_CLIENT_CSRF_SUPPORT_ENABLED``
  default to false here; set the latter true for a server with CSRF protection on);
- labels a run with the worker that executes it only when its labels say otherwise (a
  resumed run mostly runs where it ran before);
- hands each run's process the flow, deployment, work queue and pool its events name as
  related resources (Prefect's cache of them, which a fresh process would fill with four
  reads);
- does not start Prefect's watcher for a *running* run being suspended from outside (a
  thread and an event subscription per execution): a complaint's run executes for well
  under a second between the steps it suspends at itself, and it suspends there as before.

It serves work pools of type ``process``: the standard worker (``prefect worker start
--pool complaints``) runs the same deployments and stays a supported way to run them.

    python -m flows.warm_worker --pool complaints [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import runpy
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from multiprocessing.context import ForkServerContext
from typing import Any, TypeVar, cast

import anyio
import anyio.abc
from prefect import flow_engine
from prefect.events.related import RESOURCE_CACHE
from prefect.logging import get_logger
from prefect.settings import PREFECT_WORKER_HEARTBEAT_SECONDS, PREFECT_WORKER_PREFETCH_SECONDS
from prefect.types._datetime import DateTime
from prefect.types._datetime import now as prefect_now
from prefect.workers.process import ProcessJobConfiguration, ProcessWorker, ProcessWorkerResult

from flows.warm_wakeup import wake_on_scheduled_runs

# Imported once, in the forkserver, so that every run's fork has them already.
PRELOAD = [
    "prefect.engine",
    "prefect.flow_engine",
    "prefect.deployments.steps",
    "flows.complaint_lifecycle",
    "flows.deadline_watch",
    "flows.trend_watch",
    # Not flows.complaint_review: it runs once a month and brings matplotlib, which
    # every fork would otherwise carry; its run imports it.
    "flows.warm_start",  # after the flows: what their first run would load
    # A fork imports the worker's main module again (multiprocessing's preparation):
    # preloaded, that costs a re-execution of its body instead of Prefect's worker stack.
    "flows.warm_worker",
    "flows.warm_wakeup",
]
# Client settings this worker's runs do not need (see the module's docstring).
LEAN_CLIENT_DEFAULTS = {
    "PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED": "false",
    "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "false",
}
DEFINITION_SECONDS = 30.0


logger = get_logger("complaints.warm_worker")


def forkserver() -> ForkServerContext:
    """Return the forkserver context whose server preloads Prefect and the flows."""
    context = multiprocessing.get_context("forkserver")
    assert isinstance(context, ForkServerContext)
    context.set_forkserver_preload(PRELOAD)
    return context


@contextmanager
def _not_observed(*_args: Any, **_kwargs: Any) -> Iterator[None]:
    yield


def execute(flow_run_id: str, env: dict[str, str], cwd: str, related: dict[str, Any]) -> None:
    """Run one flow run as ``python -m prefect.engine`` does, in this fresh fork.

    ``related`` maps Prefect's related-resource cache keys (``kind.id``) to the objects
    the worker read for the run.
    """
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    flow_engine.observe_flow_run_suspension = _not_observed  # type: ignore[attr-defined]
    now = cast(DateTime, prefect_now("UTC"))  # as Prefect stamps its own entries
    for key, obj in related.items():
        RESOURCE_CACHE[key] = ({"kind": key.split(".", 1)[0], "object": obj}, now)
    sys.argv = ["prefect.engine", flow_run_id]
    # The engine exits with 0 when the run completes, fails or suspends (its state says
    # which) and with 1 when it could not run; a SystemExit ends this process with it.
    runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)


T = TypeVar("T")


def recently_read(
    read: Callable[[Any], Awaitable[T]], seconds: float
) -> Callable[[Any], Awaitable[T]]:
    """Return ``read`` answering from what it returned for the same id less than
    ``seconds`` ago."""
    answers: dict[str, tuple[float, T]] = {}

    async def read_recently(object_id: Any) -> T:
        key, now = str(object_id), time.monotonic()
        kept = answers.get(key)
        if kept is not None and now - kept[0] < seconds:
            return kept[1]
        answer = await read(object_id)
        answers[key] = (now, answer)
        return answer

    return read_recently


class WarmWorker(ProcessWorker):
    """Prefect's process worker, starting each run's process from a warm forkserver."""

    type = "process"  # serves the same pools as Prefect's process worker
    _description = "Execute flow runs as processes forked from a warm, preloaded server."
    _display_name = "Warm process"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._forkserver = forkserver()
        self._labels_of: dict[Any, dict[str, Any]] = {}  # of the runs being submitted

    async def setup(self) -> None:
        """Set up as Prefect's worker does, reading deployments and flows less often."""
        await super().setup()
        client = self.client
        client.read_deployment = recently_read(client.read_deployment, DEFINITION_SECONDS)  # type: ignore[method-assign,assignment]
        client.read_flow = recently_read(client.read_flow, DEFINITION_SECONDS)  # type: ignore[method-assign,assignment]
        self._read_work_queue = recently_read(client.read_work_queue, DEFINITION_SECONDS)

    async def _submit_run(self, flow_run: Any) -> None:
        self._labels_of[flow_run.id] = dict(flow_run.labels or {})
        try:
            await super()._submit_run(flow_run)
        finally:
            self._labels_of.pop(flow_run.id, None)

    async def _give_worker_labels_to_flow_run(self, flow_run_id: Any) -> None:
        """Label the run with this worker unless it already is (Prefect labels it at every
        execution, a write per resume)."""
        labels = self._labels_of.get(flow_run_id, {})
        ours = {"prefect.worker.name": self.name, "prefect.worker.type": self.type}
        if self._work_pool is not None:
            ours["prefect.work-pool.name"] = self._work_pool.name
            ours["prefect.work-pool.id"] = str(self._work_pool.id)
        if any(labels.get(key) != value for key, value in ours.items()):
            await super()._give_worker_labels_to_flow_run(flow_run_id)

    async def _related(self, flow_run: Any) -> dict[str, Any]:
        """Return what the run's events name as related, keyed as Prefect's cache is;
        nothing when a read fails (the run's process then reads them itself)."""
        try:
            related = {
                f"flow.{flow_run.flow_id}": await self.client.read_flow(flow_run.flow_id),
                f"work-pool.{self.work_pool.name}": self.work_pool,
            }
            if flow_run.deployment_id:
                deployment = await self.client.read_deployment(flow_run.deployment_id)
                related[f"deployment.{flow_run.deployment_id}"] = deployment
            if flow_run.work_queue_id:
                queue = await self._read_work_queue(flow_run.work_queue_id)
                related[f"work-queue.{flow_run.work_queue_id}"] = queue
        except Exception:
            return {}
        return related

    def warm_up(self) -> None:
        """Start the forkserver now (it imports Prefect and the flows), not at the first run."""
        probe = self._forkserver.Process(target=int)
        probe.start()
        probe.join()

    async def run(
        self,
        flow_run: Any,
        configuration: ProcessJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> ProcessWorkerResult:
        """Start the run's process, report its pid, and wait for it to end."""
        env = {k: v for k, v in configuration.env.items() if v is not None}
        env["PREFECT__FLOW_RUN_ID"] = str(flow_run.id)
        cwd = str(configuration.working_dir or os.getcwd())
        related = await self._related(flow_run)
        process = self._forkserver.Process(
            target=execute,
            args=(str(flow_run.id), env, cwd, related),
            name=f"flow-run-{flow_run.id}",
        )
        await anyio.to_thread.run_sync(process.start)
        assert process.pid is not None
        if task_status is not None:
            task_status.started(process.pid)
        await anyio.to_thread.run_sync(process.join)
        return ProcessWorkerResult(status_code=process.exitcode or 0, identifier=str(process.pid))


async def serve(pool: str, limit: int | None) -> None:
    """Poll the pool (and listen for runs scheduled) and execute its runs until stopped."""
    async with WarmWorker(
        work_pool_name=pool,
        limit=limit,
        prefetch_seconds=PREFECT_WORKER_PREFETCH_SECONDS.value(),
        heartbeat_interval_seconds=int(PREFECT_WORKER_HEARTBEAT_SECONDS.value()),
    ) as worker:
        # The forkserver starts (and imports the flows) before the first run is due.
        await anyio.to_thread.run_sync(worker.warm_up)
        async with anyio.create_task_group() as group:
            group.start_soon(wake_on_scheduled_runs, worker)
            await worker.start()
            group.cancel_scope.cancel()


def main() -> None:
    """Start the warm worker (``python -m flows.warm_worker --pool complaints``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default="complaints", help="the work pool to serve")
    parser.add_argument("--limit", type=int, default=None, help="runs executing at once")
    args = parser.parse_args()
    for name, value in LEAN_CLIENT_DEFAULTS.items():
        os.environ.setdefault(name, value)  # before Prefect's settings are first read
    asyncio.run(serve(args.pool, args.limit))


if __name__ == "__main__":
    main()

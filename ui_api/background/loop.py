"""The web app's background loop: small jobs, one round after another.

Each round starts pending runs, resumes decided steps and restarts reopened runs; every
few seconds it also revives dead runs and repairs stranded ones (and, until it has, adds
the default review schedule); and it delivers the mail that is due. Each job fails on
its own (mail still goes out while Prefect is down) and the next round retries. A
request that changed something wakes the loop at once, and so does a run suspending
while a decision waits for it (Prefect's event stream), so a decision posted before its
run finished suspending resumes it as soon as it can.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sqlalchemy.orm import Session, sessionmaker

from complaints.mail import outbox
from complaints.organization import load_organization
from complaints.settings import Settings
from ui_api.background import runs
from ui_api.background.inbound import source_of, take_inbound_mail
from ui_api.background.prefect_runs import PrefectRuns, connect, on_suspensions
from ui_api.background.records import Records
from ui_api.background.review_schedules import ReviewDeployment

logger = logging.getLogger("complaints.orchestration")
REVIVAL_INTERVAL_SECONDS = 5.0
# The trend analysis quality leads find ready to turn on: the month before, on the 1st
# at 08:00 in the organization's zone (ISO 10002 8.2).
DEFAULT_REVIEW_SCHEDULE = {"slug": "monthly-trend-analysis", "cron": "0 8 1 * *"}
# A decision often arrives while its run is still on the way to the suspend (its email
# went out first): the loop looks again this soon, then twice as late each round.
FIRST_RECHECK_SECONDS = 0.05


class BackgroundLoop:
    """Keeps Prefect in step with the database, and the outbox delivered."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.records = Records(sessions)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next_revival = 0.0
        self._not_yet_suspended = False
        self._recheck = FIRST_RECHECK_SECONDS
        self._review_schedule_ensured = False
        self._reviews: PrefectRuns | None = None  # the management review runs
        self._in_round = False
        self._suspended_in_round = False
        self._inbound = source_of(settings)
        self._next_inbound = 0.0

    def wake(self) -> None:
        """Ask the loop to run now (callable from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Run rounds until ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        async with connect() as client:
            prefect = PrefectRuns(client, self.settings.lifecycle_deployment)
            self._reviews = PrefectRuns(client, self.settings.management_review_deployment)
            watcher = asyncio.create_task(on_suspensions(self._suspension_noticed))
            try:
                while not stop.is_set():
                    self._begin_round()
                    try:
                        await self.round(prefect)
                    except Exception as exc:  # keep going: the next round retries
                        logger.warning("reconcile round failed: %s", type(exc).__name__)
                    finally:
                        self._end_round()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self._next_round_in())
            finally:
                watcher.cancel()

    def _begin_round(self) -> None:
        assert self._wake is not None
        self._wake.clear()  # before the round: a wake during it brings the next at once
        self._in_round, self._suspended_in_round = True, False

    def _end_round(self) -> None:
        self._in_round = False
        if self._suspended_in_round and self._not_yet_suspended and self._wake is not None:
            self._wake.set()  # the round may have read that run just before it suspended

    def _suspension_noticed(self) -> None:
        """A run suspended: if a decided step's run had yet to, look again now rather
        than at the next recheck (during a round: once it ends, if it still had to)."""
        if self._in_round:
            self._suspended_in_round = True
        elif self._not_yet_suspended and self._wake is not None:
            self._wake.set()

    async def round(self, prefect: PrefectRuns) -> None:
        """One round of the jobs; each fails on its own."""
        jobs: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("start_pending_runs", lambda: runs.start_pending_runs(prefect, self.records)),
            ("resume_decided_steps", lambda: self._resume(prefect)),
            ("restart_reopened_runs", lambda: runs.restart_reopened_runs(prefect, self.records)),
            ("forget_erased_runs", lambda: runs.forget_erased_runs(prefect, self.records)),
        ]
        inbound = self._inbound
        if inbound is not None and time.monotonic() >= self._next_inbound:
            self._next_inbound = time.monotonic() + self.settings.inbound_poll_seconds
            jobs.append(
                (
                    "take_inbound_mail",
                    lambda: take_inbound_mail(inbound, self.sessions, self.settings),
                )
            )
        if time.monotonic() >= self._next_revival:
            self._next_revival = time.monotonic() + REVIVAL_INTERVAL_SECONDS
            jobs += [
                (
                    "restart_dead_runs",
                    lambda: runs.restart_dead_runs(prefect, self.records, self.settings),
                ),
                ("repair_stranded_runs", lambda: runs.repair_stranded_runs(prefect, self.records)),
            ]
            reviews = self._reviews
            if reviews is not None:
                jobs.append(
                    (
                        "restart_dead_review_runs",
                        lambda: runs.restart_dead_review_runs(reviews, self.settings),
                    )
                )
            if not self._review_schedule_ensured:
                jobs.append(("ensure_review_schedule", lambda: self._ensure_schedule(prefect)))
        for name, job in jobs:
            try:
                await job()
            except Exception as exc:  # the next round retries
                logger.warning("%s failed: %s", name, type(exc).__name__)
        await outbox.deliver(self.sessions, self.settings)

    async def _ensure_schedule(self, prefect: PrefectRuns) -> None:
        reviews = ReviewDeployment(prefect.client, self.settings.review_deployment)
        await reviews.ensure_schedule(
            **DEFAULT_REVIEW_SCHEDULE,
            timezone=load_organization(self.settings.organization_file).timezone,
            parameters={"period": "month"},
        )
        self._review_schedule_ensured = True

    async def _resume(self, prefect: PrefectRuns) -> None:
        self._not_yet_suspended = False
        steps = await runs.resume_decided_steps(prefect, self.records)
        minutes = await runs.resume_decided_minutes(prefect, self.records)
        self._not_yet_suspended = steps or minutes

    def _next_round_in(self) -> float:
        """Seconds until the next round: soon while a decided step's run has yet to reach
        its suspend, else the interval."""
        interval = self.settings.reconcile_interval_seconds
        if not self._not_yet_suspended:
            self._recheck = FIRST_RECHECK_SECONDS
            return interval
        delay, self._recheck = self._recheck, min(2 * self._recheck, interval)
        return min(delay, interval)

"""The review deployments' runs started now and their schedules (Prefect deployment
schedules with their parameters and a slug), as the reviews area keeps them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.objects import DeploymentSchedule
from prefect.client.schemas.schedules import CronSchedule
from prefect.server.schemas.schedules import CronSchedule as ServerCronSchedule

from ui_api.background.prefect_runs import Deployment


@dataclass(frozen=True)
class ReviewSchedule:
    """A schedule of the review deployment, as Prefect keeps it."""

    id: uuid.UUID
    slug: str
    cron: str
    timezone: str
    active: bool
    parameters: dict[str, Any]
    next_runs: list[datetime]


class ScheduleRefused(ValueError):
    """A cron expression or a time zone Prefect would not schedule."""


def cron_schedule(cron: str, timezone: str) -> CronSchedule:
    """Return Prefect's cron schedule, or raise ScheduleRefused (an impossible cron, an
    unknown zone)."""
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise ScheduleRefused("timezone") from exc
    try:
        return CronSchedule(cron=cron, timezone=timezone)
    except ValueError as exc:
        raise ScheduleRefused("cron") from exc


async def next_runs(cron: str, timezone: str, *, after: datetime, count: int = 5) -> list[datetime]:
    """Return the next times Prefect's scheduler would run a cron schedule."""
    server_side = ServerCronSchedule(cron=cron, timezone=timezone)
    return list(await server_side.get_dates(count, start=after))


class ReviewDeployment(Deployment):
    """The review deployment: its runs started now and its schedules."""

    async def run_now(self, parameters: dict[str, Any]) -> uuid.UUID:
        """Start a review run with these parameters (periods and keys only)."""
        flow_run = await self.client.create_flow_run_from_deployment(
            await self.deployment_id(), parameters=parameters, tags=["review"]
        )
        return flow_run.id

    async def schedules(self, *, now: datetime) -> list[ReviewSchedule]:
        """Return the deployment's cron schedules with their next five runs."""
        found = await self.client.read_deployment_schedules(await self.deployment_id())
        return [await self._read(s, now) for s in found if isinstance(s.schedule, CronSchedule)]

    async def _read(self, schedule: DeploymentSchedule, now: datetime) -> ReviewSchedule:
        cron = schedule.schedule
        assert isinstance(cron, CronSchedule)
        zone = cron.timezone or "UTC"
        return ReviewSchedule(
            id=schedule.id,
            slug=schedule.slug or "",
            cron=cron.cron,
            timezone=zone,
            active=schedule.active,
            parameters=dict(schedule.parameters or {}),
            next_runs=await next_runs(cron.cron, zone, after=now),
        )

    async def create_schedule(
        self, *, slug: str, cron: str, timezone: str, active: bool, parameters: dict[str, Any]
    ) -> uuid.UUID:
        """Add a schedule (its slug names it, so it survives redeploys of prefect.yaml)."""
        created = await self.client.create_deployment_schedules(
            await self.deployment_id(),
            [
                DeploymentScheduleCreate(
                    schedule=cron_schedule(cron, timezone),
                    active=active,
                    parameters=parameters,
                    slug=slug,
                )
            ],
        )
        return created[0].id

    async def update_schedule(
        self,
        schedule_id: uuid.UUID,
        *,
        cron: str,
        timezone: str,
        active: bool,
        parameters: dict[str, Any],
    ) -> None:
        await self.client.update_deployment_schedule(
            await self.deployment_id(),
            schedule_id,
            schedule=cron_schedule(cron, timezone),
            active=active,
            parameters=parameters,
        )

    async def set_active(self, schedule_id: uuid.UUID, *, active: bool) -> None:
        await self.client.update_deployment_schedule(
            await self.deployment_id(), schedule_id, active=active
        )

    async def delete_schedule(self, schedule_id: uuid.UUID) -> None:
        await self.client.delete_deployment_schedule(await self.deployment_id(), schedule_id)

    async def ensure_schedule(
        self, *, slug: str, cron: str, timezone: str, parameters: dict[str, Any]
    ) -> bool:
        """Add a schedule, inactive, unless one with its slug exists (whatever a quality
        lead made of it since); return whether it was added."""
        found = await self.client.read_deployment_schedules(await self.deployment_id())
        if any(s.slug == slug for s in found):
            return False
        await self.create_schedule(
            slug=slug, cron=cron, timezone=timezone, active=False, parameters=parameters
        )
        return True

"""Tasks of the daily trend alert (the ``trend-watch`` deployment)."""

from __future__ import annotations

import uuid
from datetime import datetime

from prefect.events import emit_event
from pydantic import BaseModel

from complaints.models import utcnow
from complaints.reviews.alerts import tell_quality_leads
from tasks.runtime import organization, settings, step_task, transaction


class BreachRef(BaseModel):
    """A recurrence the trend check found: keys and a count, no personal data."""

    family: str
    cause_category: str
    count: int


class TrendSummary(BaseModel):
    breaches: list[BreachRef]
    message_ids: list[uuid.UUID]


@step_task("check-trends")
def check_trends(as_of: datetime | None) -> TrendSummary:
    """Find recurrences and queue their alerts to the quality leads (once per window)."""
    with transaction() as session:
        told, message_ids = tell_quality_leads(
            session, organization(), settings(), as_of=as_of or utcnow()
        )
    return TrendSummary(
        breaches=[
            BreachRef(family=b.family, cause_category=b.cause_category, count=b.count) for b in told
        ],
        message_ids=message_ids,
    )


@step_task("emit-trend-breach")
def emit_trend_breach(breach: BreachRef) -> None:
    """Emit ``complaint.trend.breach`` for automations and the Event Feed."""
    emit_event(
        event="complaint.trend.breach",
        resource={
            "prefect.resource.id": f"complaints.trend.{breach.family}.{breach.cause_category}",
            "prefect.resource.name": f"{breach.family}/{breach.cause_category}",
        },
        payload=breach.model_dump(),
    )

"""The webhook the automations shipped with the system call (Prefect OSS automations
cannot send email): each call becomes one alert email to the operators, through the
outbox, however often Prefect calls."""

from __future__ import annotations

import hmac
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from complaints.models import utcnow
from complaints.ops.alerts import Fired, automation_named, tell_operators
from complaints.settings import Settings
from complaints.tokens import automation_token
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep

router = APIRouter(tags=["operators"], include_in_schema=False)

# The header the webhook block sends (its value is stored in Prefect as a secret).
TOKEN_HEADER = "X-Complaints-Automation"
FLOW_RUN = "prefect.flow-run."


class AutomationCall(BaseModel):
    """What an automation's webhook payload carries (ids and references only)."""

    automation: str = Field(max_length=200)
    event: str = Field(max_length=200)
    resource_id: str = Field(max_length=200)
    label: str = Field(default="", max_length=200)
    occurred: datetime
    flow_run_id: str = Field(default="", max_length=64)


@router.post("/api/operators/alerts", status_code=202)
def automation_fired(
    call: AutomationCall,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
) -> dict[str, int]:
    """Mail the operators what an automation found (once per automation and resource)."""
    presented = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(presented, automation_token(settings.secret_key.get_secret_value())):
        raise HTTPException(403, "not an automation of this system")
    automation = automation_named(call.automation)
    if automation is None:
        raise HTTPException(404, "not an automation this system ships")
    fired = Fired(
        automation,
        call.resource_id,
        call.label or call.resource_id,
        call.occurred,
        _console_url(call, settings),
    )
    queued = tell_operators(db, org, fired, now=utcnow())
    if queued:
        background.wake()
    return {"queued": len(queued)}


def _console_url(call: AutomationCall, settings: Settings) -> str:
    """Link the run the alert is about, else the Event Feed."""
    run_id = call.flow_run_id
    if not run_id and call.resource_id.startswith(FLOW_RUN):
        run_id = call.resource_id.removeprefix(FLOW_RUN)
    base = settings.prefect_ui_url.rstrip("/")
    return f"{base}/runs/flow-run/{run_id}" if run_id else f"{base}/events"

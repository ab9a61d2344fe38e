"""The automations shipped with the system, applied to the Prefect server (idempotent:
each is found by its name and updated, never duplicated).

``make run`` applies them after deploying; in production run ``python -m flows.automations``
after ``prefect deploy --all``. Prefect OSS automations cannot send email, so each calls
a webhook (a Webhook block) to the web app, which mails the operators named in the
organization file through the outbox (complaints/ops/alerts.py says what each means).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from prefect.blocks.webhook import Webhook
from prefect.client.orchestration import get_client
from prefect.events.actions import CallWebhook
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.types import SecretDict
from pydantic import SecretStr

from complaints.ops.alerts import AUTOMATIONS, Automation
from complaints.settings import Settings, get_settings
from complaints.tokens import automation_token

WEBHOOK_BLOCK = "complaints-operators"
# The webhook's body (a Jinja template Prefect fills in): ids and references only.
PAYLOAD = (
    '{"automation": {{ automation.name | tojson }}, "event": {{ event.event | tojson }}, '
    '"resource_id": {{ event.resource.id | tojson }}, '
    '"label": {{ (event.resource.name or "") | tojson }}, '
    '"occurred": {{ event.occurred.isoformat() | tojson }}, '
    '"flow_run_id": {{ (event.payload.get("flow_run_id") or "") | tojson }}}'
)
# Complaint runs are runs of this flow (their Crashed and Failed events relate to it).
COMPLAINT_FLOW = "complaint-lifecycle"


async def save_webhook(settings: Settings) -> uuid.UUID:
    """Save (or overwrite) the webhook block that calls the web app; return its id."""
    webhook = Webhook(
        method="POST",
        url=SecretStr(f"{settings.public_url.rstrip('/')}/api/operators/alerts"),
        headers=SecretDict(
            {
                "Content-Type": "application/json",
                "X-Complaints-Automation": automation_token(settings.secret_key.get_secret_value()),
            }
        ),
        allow_private_urls=True,  # the web app is usually on the same private network
    )
    return await webhook.asave(WEBHOOK_BLOCK, overwrite=True)


def prefect_automation(automation: Automation, block_id: uuid.UUID) -> AutomationCore:
    """Return the Prefect automation of one of ours: fire on each event, call the webhook."""
    match_related = (
        {"prefect.resource.role": "flow", "prefect.resource.name": COMPLAINT_FLOW}
        if automation.of_complaint_runs
        else {}
    )
    return AutomationCore(
        name=automation.name,
        description=f"{automation.alert}: mails the operators (complaints system).",
        trigger=EventTrigger(
            expect=set(automation.events),
            match_related=match_related,  # type: ignore[arg-type]
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[CallWebhook(block_document_id=block_id, payload=PAYLOAD)],
    )


async def apply(settings: Settings) -> list[uuid.UUID]:
    """Create or update every shipped automation; return their ids."""
    block_id = await save_webhook(settings)
    ids = []
    async with get_client() as client:
        for automation in AUTOMATIONS:
            wanted = prefect_automation(automation, block_id)
            existing = await client.read_automations_by_name(automation.name)
            if existing:
                await client.update_automation(existing[0].id, wanted)
                for duplicate in existing[1:]:  # left by an older, non-idempotent apply
                    await client.delete_automation(duplicate.id)
                ids.append(existing[0].id)
            else:
                ids.append(await client.create_automation(wanted))
    return ids


if __name__ == "__main__":
    applied = asyncio.run(apply(get_settings()))
    print(f"{len(applied)} automations applied")

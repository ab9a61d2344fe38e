"""Showing operators a complaint's state in the Prefect UI: the run's tags, a keyed
markdown artifact with a new version at every step, and events for the trail's steps
and stage changes (the complaint as the resource, the run as a related one)."""

from __future__ import annotations

import uuid

from prefect import get_run_logger
from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
)
from prefect.client.orchestration import get_client
from prefect.events import emit_event
from prefect.runtime import flow_run
from sqlalchemy import update

from complaints.intake import service
from complaints.models import Complaint, utcnow
from complaints.ops.run_view import OWNED_TAG_PREFIXES, RunView, run_view
from tasks.runtime import flow_step, organization, transaction


def artifact_key(reference: str) -> str:
    """Return the complaint's artifact key (lower-case letters, digits and dashes)."""
    return f"complaint-{reference.lower()}"


# Named anew when its result became the state message (an int before): a run journaled
# by an earlier release shows its view again (idempotent) rather than recall an int.
@flow_step("show-run-view")
async def publish_run_view(complaint_id: uuid.UUID, at_key: str) -> str:
    """Bring the run's view of the complaint up to date; return what it waits for.

    Once per step of the run (the journal keys it by ``at_key``): a replay shows nothing
    twice. What was shown is recorded first, so an event is shown at most once; a failure
    to reach Prefect leaves the view behind, never the complaint.
    """
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        view = run_view(
            session,
            complaint,
            organization(),
            at_key=at_key,
            after_seq=complaint.published_seq,
            now=utcnow(),
        )
        session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id)
            .values(published_seq=view.last_seq)
            .execution_options(synchronize_session=False)
        )
    try:
        await _show(complaint_id, view)
    except Exception as exc:  # the view is for people; the complaint goes on without it
        get_run_logger().warning("run view not updated: %s", type(exc).__name__)
    return view.message


async def _show(complaint_id: uuid.UUID, view: RunView) -> None:
    run_id = flow_run.id
    related = [
        {"prefect.resource.id": f"prefect.flow-run.{run_id}", "prefect.resource.role": "flow-run"}
    ]
    for event in view.events:
        emit_event(
            event=event.name,
            resource={
                "prefect.resource.id": f"complaint.{complaint_id}",
                "prefect.resource.name": view.reference,
            },
            related=related,
            payload=event.payload,
            occurred=event.occurred,
        )
    key = artifact_key(view.reference)
    await acreate_markdown_artifact(
        key=key, markdown=view.markdown, description=f"Complaint {view.reference}: where it stands"
    )
    if view.progress_moved:
        await acreate_progress_artifact(
            view.progress, key=f"{key}-progress", description="Through the procedure (DOMAIN.md)"
        )
    if view.actions:
        await acreate_table_artifact(
            view.actions, key=f"{key}-actions", description="Corrective actions and owners"
        )
    # The run's tags as this execution loaded them: only the deadline watch adds one
    # (overdue) between steps, and the execution lasts a fraction of a second.
    run_tags = list(flow_run.tags)
    kept = [t for t in run_tags if not t.startswith(OWNED_TAG_PREFIXES)]
    tags = [*kept, *view.tags]
    if sorted(tags) != sorted(run_tags):
        async with get_client() as client:
            await client.update_flow_run(uuid.UUID(str(run_id)), tags=tags)

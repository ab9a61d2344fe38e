"""The deadline watch's overview artifact: the whole system at a glance for operators."""

from __future__ import annotations

from datetime import datetime

from prefect.artifacts import acreate_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

from complaints.db import get_session_factory
from complaints.models import utcnow
from complaints.ops.overview import overview_markdown
from tasks.runtime import step_task

OVERVIEW_KEY = "complaints-overview"


@step_task("publish-overview")
async def publish_overview(as_of: datetime | None) -> bool:
    """Write a new version of the overview when it says something new; return whether."""
    with get_session_factory()() as session:
        markdown = overview_markdown(session, as_of or utcnow())
    async with get_client() as client:
        latest = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=[OVERVIEW_KEY])
            ),
            limit=1,
        )
    if latest and latest[0].data == markdown:
        return False  # every minute's sweep, one version per change
    await acreate_markdown_artifact(
        key=OVERVIEW_KEY, markdown=markdown, description="Complaints at a glance"
    )
    return True

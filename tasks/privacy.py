"""Tasks of the ``privacy-retention`` deployment: erase what has expired, batch by batch,
then tell the quality leads and operators (counts only)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime

from prefect.artifacts import acreate_markdown_artifact
from pydantic import BaseModel

from complaints.privacy.report import ARTIFACT_KEY, queue_retention_report, retention_markdown
from complaints.privacy.retention import RetentionCounts, retention_batch
from tasks.runtime import organization, settings, step_task, transaction


class Counts(BaseModel):
    """What a pass of retention erased: counts only."""

    complaints: int = 0
    texts: int = 0
    files: int = 0
    addresses: int = 0
    exports: int = 0

    def plus(self, other: Counts) -> Counts:
        """Return these counts and another's added."""
        return Counts(**{k: v + getattr(other, k) for k, v in self.model_dump().items()})

    @property
    def empty(self) -> bool:
        return not any(self.model_dump().values())


@step_task("erase-expired-batch")
def erase_expired_batch(as_of: datetime, number: int) -> Counts:
    """Erase one batch of what expired as of a moment (``number`` tells batches apart)."""
    with transaction() as session:
        batch = retention_batch(session, organization(), settings(), as_of=as_of)
    # Files go only once the erasure is committed.
    batch.erased.remove_after_commit(settings())
    return Counts(**asdict(batch.counts))


@step_task("report-retention")
def report_retention(as_of: datetime, counts: Counts) -> list[uuid.UUID]:
    """Queue the report to the quality leads (none when nothing was erased)."""
    with transaction() as session:
        return queue_retention_report(
            session, organization(), RetentionCounts(**counts.model_dump()), as_of=as_of
        )


@step_task("publish-retention-artifact")
async def publish_retention_artifact(as_of: datetime, counts: Counts) -> uuid.UUID:
    """Add this pass's counts to the keyed artifact (a new version per run)."""
    markdown = retention_markdown(
        RetentionCounts(**counts.model_dump()), organization(), as_of=as_of
    )
    return await acreate_markdown_artifact(
        key=ARTIFACT_KEY, markdown=markdown, description="Personal data erased by retention"
    )

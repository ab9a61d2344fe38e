"""Tasks of the trend analysis (the ``complaint-review`` deployment)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from prefect.artifacts import acreate_markdown_artifact
from prefect.runtime import flow_run
from pydantic import BaseModel, TypeAdapter

from complaints.models import Review, utcnow
from complaints.reviews.artifact import artifact_key, review_markdown
from complaints.reviews.figures import Filters, TrendFigures
from complaints.reviews.issue import issue_trend_review
from complaints.reviews.periods import requested_period
from tasks.runtime import organization, settings, step_task, transaction


class IssuedReviewRef(BaseModel):
    """What the flow knows of an issued review: ids and its reference only."""

    review_id: uuid.UUID
    reference: str
    message_ids: list[uuid.UUID]


@step_task("issue-trend-review")
def issue_review(
    period: str,
    first_day: date | None,
    last_day: date | None,
    as_of: datetime | None,
    recipients: list[str],
    filters: Filters,
) -> IssuedReviewRef:
    """Compute the period's analysis, keep it and queue it to the recipients (once per run)."""
    org = organization()
    now = as_of or utcnow()
    chosen = requested_period(
        period, first_day=first_day, last_day=last_day, as_of=now, zone=org.zone_of()
    )
    with transaction() as session:
        issued = issue_trend_review(
            session,
            org,
            settings(),
            key=f"flow-run:{flow_run.id}",
            period=chosen,
            filters=filters,
            recipients=recipients,
            now=now,
        )
    return IssuedReviewRef(**issued.__dict__)


@step_task("publish-review-artifact")
async def publish_review_artifact(review_id: uuid.UUID, reference: str) -> uuid.UUID:
    """Add this analysis to its scope's keyed artifact (a new version per run)."""
    with transaction() as session:
        review = session.get(Review, review_id)
        if review is None:
            raise LookupError(f"no review {review_id}")
        figures = TypeAdapter(TrendFigures).validate_python(review.figures)
    return await acreate_markdown_artifact(
        key=artifact_key(figures.filters),
        markdown=review_markdown(figures, organization(), reference),
        description=f"Complaint trend analysis {reference}",
    )

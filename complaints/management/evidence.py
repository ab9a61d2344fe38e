"""Evidence that a review's action is done: files checked by the upload rules and kept
with the review (under their ids, with their hashes)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from complaints.files.uploads import check_uploads, safe_filename
from complaints.models import Review, ReviewTask
from complaints.reviews.issue import store_file
from complaints.settings import Settings


def store_evidence(
    session: Session, settings: Settings, task: ReviewTask, files: list[tuple[str, bytes]]
) -> list[uuid.UUID]:
    """Check every file (UploadRefused before anything is kept), keep them; return their ids."""
    types = check_uploads(files, settings)
    review = session.get_one(Review, task.review_id)
    kept = []
    for (name, data), content_type in zip(files, types, strict=True):
        # Unique within the review however often the same name is uploaded.
        prefix = f"{review.period_label}-action-{task.number}-{uuid.uuid4().hex[:6]}"
        filename = f"{prefix}-{safe_filename(name)}"
        kept.append(store_file(session, settings, review, filename, content_type, data).id)
    return kept

"""The stages a complaint goes through, and what entering one means: the complainant hears
of the stages they care about (ISO 10002 7.3), and a complaint never goes back."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from complaints.enums import Stage
from complaints.intake import service
from complaints.mail.complainant import tell_progress
from complaints.models import Complaint
from complaints.organization import Organization
from complaints.settings import Settings

# Stages the complainant hears about when the complaint enters them; the assessment
# follows the acknowledgement at once, the answer and closing are emails of their own.
TOLD_STAGES = frozenset(
    {Stage.CONTAINMENT, Stage.ROOT_CAUSE, Stage.CORRECTIVE_ACTION, Stage.RESPONSE}
)
STAGE_ORDER = list(Stage)


def enter_stage(
    session: Session, complaint: Complaint, stage: Stage, org: Organization, settings: Settings
) -> list[uuid.UUID]:
    """Move a complaint on to a stage; tell the complainant if it is one they hear about.

    Never back: a step of an earlier kind opened later (new actions after an effectiveness
    check, an improvement action after the survey) leaves the stage where it is.
    """
    if STAGE_ORDER.index(stage) < STAGE_ORDER.index(complaint.stage):
        return []
    if not service.move_to_stage(session, complaint.id, stage) or stage not in TOLD_STAGES:
        return []
    message, _new = tell_progress(
        session, complaint, org, settings, occasion=f"stage-{stage.value}"
    )
    return [message.id]

"""What a step link may change besides deciding its step: a meeting's time, an action's
progress, its owner and due date, a closed complaint's reopening.

Each needs its own link action (and, but for reopening, the step still open). Each reads
its form into a contract and makes one domain call; the run keeps waiting as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy.orm import Session

from complaints.actions import service as action_service
from complaints.enums import LinkAction
from complaints.intake import service
from complaints.meetings import service as meeting_service
from complaints.meetings.invitations import invite
from complaints.models import LinkToken, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.contracts import ActionChange, MeetingChange, Reopening
from complaints.steps.forms import local_moment
from ui_api import forms
from ui_api.forms import FormFields
from ui_api.step_pages import meeting_of, reader

# Returns the problems by field; nothing is changed when there are any.
Change = Callable[[Session, LinkToken, FormFields, Organization, Settings], dict[str, str]]


def reschedule(
    db: Session, link: LinkToken, fields: FormFields, org: Organization, settings: Settings
) -> dict[str, str]:
    meeting = meeting_of(db, link)
    if meeting is None:
        return {"form": "this step has no meeting"}
    try:
        change = MeetingChange.model_validate(
            {
                "starts_at": local_moment(fields.get("meeting_at"), reader(link, org)["zone"]),
                "minutes": fields.get("meeting_minutes") or 60,
                "location": fields.get("meeting_location"),
            }
        )
    except ValidationError as exc:
        return {f"meeting_{k}": v for k, v in forms.field_errors(exc, {}).items()}
    meeting_service.reschedule(
        db,
        meeting,
        starts_at=change.starts_at,
        minutes=change.minutes,
        location=change.location,
        by=link.recipient,
    )
    invite(db, link.step.complaint, meeting, org)
    return {}


def note_progress(
    db: Session, link: LinkToken, fields: FormFields, org: Organization, settings: Settings
) -> dict[str, str]:
    note = fields.get("progress").strip()
    if not note or len(note) > 4000:
        return {"progress": "write what has been done so far (up to 4000 characters)"}
    action_service.report_progress(db, link.step, note, by=link.recipient)
    return {}


def manage_action(
    db: Session, link: LinkToken, fields: FormFields, org: Organization, settings: Settings
) -> dict[str, str]:
    try:
        change = ActionChange.model_validate(
            {
                "owner": fields.get("owner") or None,
                "due_at": local_moment(fields.get("due_at"), reader(link, org)["zone"]),
                "reason": fields.get("reason"),
            }
        )
    except ValidationError as exc:
        return forms.field_errors(exc, {})
    return action_service.manage(db, link.step, change, org, settings, by=link.recipient)


def reopen(
    db: Session, link: LinkToken, fields: FormFields, org: Organization, settings: Settings
) -> dict[str, str]:
    try:
        reopening = Reopening.model_validate({"reason": fields.get("reason")})
    except ValidationError as exc:
        return forms.field_errors(exc, {})
    if link.revoked_at is not None or not service.reopen(
        db, link.step.complaint, reason=reopening.reason, by=link.recipient
    ):
        return {"form": "the complaint is not closed"}
    link.revoked_at = utcnow()  # one reopening per link
    return {}


CHANGES: dict[str, tuple[LinkAction, Change]] = {
    "reschedule": (LinkAction.RESCHEDULE, reschedule),
    "progress": (LinkAction.DECIDE, note_progress),
    "manage": (LinkAction.MANAGE, manage_action),
    "reopen": (LinkAction.REOPEN, reopen),
}

"""The pages a step link shows: the step's form, its outcome, the reopening form.

Each page gets what its template shows, in the language and time zone of the person the
link was sent to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from complaints import repository
from complaints.actions.recurrence import Recurrence, recurrence_since
from complaints.enums import (
    ActionType,
    EventKind,
    Grade,
    IshikawaCategory,
    LinkAction,
    Locale,
    MeasureType,
    ProblemScope,
    StepKind,
)
from complaints.i18n import translator
from complaints.mail.addresses import COMPLAINANT, addressee
from complaints.meetings import service as meeting_service
from complaints.models import LinkToken, Meeting
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue import spec_of
from complaints.steps.catalogue.corrective import ACTION
from complaints.steps.catalogue.root_cause import MAX_WHYS
from complaints.steps.contracts import ActionReport, CauseAnalysis
from complaints.steps.history import decision_of, latest_decision
from complaints.tokens import form_guard
from ui_api import forms
from ui_api.forms import FormFields
from ui_api.links import file_url
from ui_api.pages import render_page


def reader(link: LinkToken, org: Organization) -> dict[str, Any]:
    """Return the language and time zone of the person a link was sent to."""
    if link.recipient == COMPLAINANT:
        # The complainant sees their own request, never the internal record.
        return {
            "locale": link.step.complaint.locale,
            "zone": org.zone_of(),
            "for_complainant": True,
        }
    person = org.people.get(link.recipient)
    return {
        "locale": Locale(person.locale) if person else Locale.EN,
        "zone": org.zone_of(person),
        "for_complainant": False,
    }


CORRESPONDENCE = EventKind.CORRESPONDENCE_RECEIVED.value


def timeline(db: Session, link: LinkToken, org: Organization) -> list[dict[str, Any]]:
    """Return the complaint's audit trail, with people's names."""
    rows = []
    for event in repository.events_of(db, link.step.complaint_id):
        person = org.people.get(event.actor)
        rows.append(
            {
                "at": event.at,
                "kind": event.kind,
                "actor": person.name if person else event.actor,
                "channel": event.channel,
                # What the complainant wrote by email, shown as they wrote it.
                "letter": (event.data or {}) if event.kind == CORRESPONDENCE else None,
            }
        )
    return rows


def step_form(
    db: Session,
    link: LinkToken,
    token: str,
    org: Organization,
    settings: Settings,
    *,
    values: FormFields | dict[str, str],
    errors: dict[str, str],
) -> HTMLResponse:
    seen_by = reader(link, org)
    errors = forms.in_language(errors, translator(seen_by["locale"]))
    return render_page(
        f"step_{link.step.kind.value}",
        **seen_by,
        org=org,
        status_code=422 if errors else 200,
        complaint=link.step.complaint,
        step=link.step,
        person=org.people.get(link.recipient),
        guard=form_guard(token, settings.secret_key.get_secret_value()),
        grades=list(Grade),
        complaint_categories=list(org.classification.categories.values()),
        measure_types=list(MeasureType),
        people=sorted(org.people.values(), key=lambda p: p.name),
        meeting=meeting_of(db, link),
        owner_name=addressee(org, link.step.complaint, link.step.assignee).name,
        can_decide=LinkAction.DECIDE.value in link.actions,
        can_manage=LinkAction.MANAGE.value in link.actions,
        analysis=latest_decision(link.step.complaint, StepKind.CAUSE_ANALYSIS, CauseAnalysis),
        recurrence=_recurrence(db, link),
        actions_done=_actions_done(link, org),
        dispute_resolution=org.follow_up.dispute_resolution,
        response_rounds=org.follow_up.response_rounds,
        whys=range(1, MAX_WHYS + 1),
        categories=list(IshikawaCategory),
        scopes=list(ProblemScope),
        action_types=list(ActionType),
        files=_files(db, link, token),
        upload_limits=settings,
        values=values.as_dict() if isinstance(values, FormFields) else values,
        chosen=values.getlist("attendees") if isinstance(values, FormFields) else [],
        errors=errors,
        timeline=timeline(db, link, org),
        token=token,
    )


def meeting_of(db: Session, link: LinkToken) -> Meeting | None:
    """Return the meeting whose minutes a step takes (if it is such a step)."""
    purpose = spec_of(link.step.kind).meeting
    return meeting_service.find(db, link.step.complaint_id, purpose) if purpose else None


def _recurrence(db: Session, link: LinkToken) -> Recurrence | None:
    """Return, for an effectiveness check, the complaints that came since the actions."""
    since = (link.step.details or {}).get("actions_closed_at")
    if link.step.kind is not StepKind.EFFECTIVENESS or not since:
        return None
    return recurrence_since(db, link.step.complaint, datetime.fromisoformat(since))


def _actions_done(link: LinkToken, org: Organization) -> list[dict[str, Any]]:
    """Return the complaint's actions and what their owners reported (for the answer)."""
    done = []
    for step in link.step.complaint.steps:
        if step.kind is not StepKind.ACTION:
            continue
        action = ACTION.details_of(step)
        report = decision_of(step, ActionReport) if step.decision else None
        done.append(
            {
                "type": action.type.value,
                "description": action.description,
                "owner": addressee(org, step.complaint, step.assignee).name,
                "note": report.note if report else "",
                "done_at": step.decided_at,
            }
        )
    return done


def _files(db: Session, link: LinkToken, token: str) -> list[dict[str, Any]]:
    """Return the complaint's files the link's reader may open, with their URLs."""
    rows = repository.attachments_of(db, link.step.complaint_id)
    if link.recipient == COMPLAINANT:
        rows = [a for a in rows if a.uploaded_by == COMPLAINANT]
    return [
        {"name": a.filename, "size": a.size, "type": a.content_type, "url": file_url(token, a.id)}
        for a in rows
    ]


def already_decided(db: Session, link: LinkToken, org: Organization) -> HTMLResponse:
    step = link.step
    decider = org.people.get(step.decided_by or "")
    return render_page(
        "step_decided",
        **reader(link, org),
        org=org,
        status_code=409,
        complaint=step.complaint,
        step=step,
        decided_by=decider.name if decider else (step.decided_by or ""),
        timeline=timeline(db, link, org),
    )


def reopen_page(
    db: Session,
    link: LinkToken,
    token: str,
    org: Organization,
    settings: Settings,
    *,
    values: FormFields | dict[str, str],
    errors: dict[str, str],
) -> HTMLResponse:
    """The quality lead's page to reopen a closed complaint (with a reason)."""
    return render_page(
        "reopen",
        **reader(link, org),
        org=org,
        status_code=422 if errors else 200,
        complaint=link.step.complaint,
        step=link.step,
        guard=form_guard(token, settings.secret_key.get_secret_value()),
        usable=link.revoked_at is None,
        values=values.as_dict() if isinstance(values, FormFields) else values,
        errors=errors,
        timeline=timeline(db, link, org),
        token=token,
    )

"""Step links: GET shows the step's page, only the form's POST decides.

Mail scanners fetch every link in an email before the person does, so GET never
changes anything. The POST must come from the page itself (form guard, same origin), is
recorded once (a conditional update), committed, and only then does the background loop
resume the flow run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from complaints import actions, meetings, notifications, repository, service, steps
from complaints.contracts import (
    STEP_INPUTS,
    ActionChange,
    ActionPlan,
    MeetingChange,
    Reopening,
    plan_problems,
)
from complaints.enums import (
    ActionType,
    DecisionChannel,
    Grade,
    IshikawaCategory,
    LinkAction,
    Locale,
    MeasureType,
    ProblemScope,
    StepKind,
    StepStatus,
)
from complaints.models import LinkToken, Meeting, utcnow
from complaints.organization import Organization
from complaints.recurrence import Recurrence, recurrence_since
from complaints.settings import Settings
from complaints.steps import COMPLAINANT
from complaints.tokens import form_guard, guard_matches
from complaints.uploads import UploadRefused, store_uploads
from ui_api import forms
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep, client_addr
from ui_api.forms import FormFields
from ui_api.pages import locale_from_request, render_page
from ui_api.ratelimit import FailureLimiter
from ui_api.routes.files import file_url

router = APIRouter(tags=["steps"], include_in_schema=False)
MAX_FIELD = 10_000
# Steps whose form takes files, and the contract field that lists them.
UPLOADS_INTO = {
    StepKind.INFO_REQUEST: "files",
    StepKind.MEASURE: "evidence",
    StepKind.CAUSE_ANALYSIS: "evidence",
    StepKind.ACTION: "evidence",
}


@router.get("/s/{token}", response_class=HTMLResponse)
def show_step(
    token: str, request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep
) -> HTMLResponse:
    """Show the step a link is for, and its form (changes nothing)."""
    limiter: FailureLimiter = request.app.state.link_failures
    if limiter.blocked(client_addr(request)):
        return _invalid(request, org, status_code=429)
    link = steps.resolve_link(db, token, settings.secret_key.get_secret_value())
    if link is None:
        limiter.failed(client_addr(request))
        return _invalid(request, org)
    if LinkAction.REOPEN.value in link.actions:
        return _reopen_page(db, link, token, org, settings, values={}, errors={})
    if link.step.status is not StepStatus.OPEN:
        return _already_decided(db, link, org)
    # The complainant's two links (accept, not satisfied) open the same form, preset.
    answer = request.query_params.get("answer", "")
    values = {"answer": answer} if answer in ("accept", "not_satisfied") else {}
    return _form(db, link, token, org, settings, values=values, errors={})


@router.post("/s/{token}", response_class=HTMLResponse)
async def decide_step(
    token: str,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
) -> HTMLResponse:
    """Record the decision posted by the step's form, then let the flow move on."""
    limiter: FailureLimiter = request.app.state.link_failures
    addr = client_addr(request)
    if limiter.blocked(addr):
        return _invalid(request, org, status_code=429)
    if not _same_origin(request, settings):
        limiter.failed(addr)
        return _invalid(request, org, status_code=403)
    form = await request.form(max_files=settings.upload_max_files + 1)
    fields = FormFields(
        [(k, v) for k, v in form.multi_items() if isinstance(v, str) and len(v) <= MAX_FIELD]
    )
    uploads = [
        (v.filename or "file", await v.read(settings.upload_max_bytes + 1))
        for k, v in form.multi_items()
        if k == "files" and not isinstance(v, str) and v.filename
    ]
    response = await run_in_threadpool(
        _decide, db, token, fields, uploads, org, settings, request, addr
    )
    if response.status_code == 404:
        limiter.failed(addr)
    if response.status_code == 200:
        background.wake()
    return response


# Changes a link may make besides deciding its step: each needs its own link action, and
# the step still open. They act on the record; the run keeps waiting as it was.
Change = Callable[[Session, LinkToken, FormFields, Organization, Settings], dict[str, str]]


@router.post("/s/{token}/{change}", response_class=HTMLResponse)
async def change_step(
    token: str,
    change: str,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Move a meeting, note an action's progress, or reassign an action / move its date."""
    addr = client_addr(request)
    limiter: FailureLimiter = request.app.state.link_failures
    if limiter.blocked(addr):
        return _invalid(request, org, status_code=429)
    if change not in CHANGES or not _same_origin(request, settings):
        limiter.failed(addr)
        return _invalid(request, org, status_code=404 if change not in CHANGES else 403)
    form = await request.form()
    fields = FormFields([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    response = await run_in_threadpool(_change, db, token, change, fields, org, settings, request)
    if response.status_code == 404:
        limiter.failed(addr)
    return response


def _change(
    db: Session,
    token: str,
    change: str,
    fields: FormFields,
    org: Organization,
    settings: Settings,
    request: Request,
) -> HTMLResponse:
    secret = settings.secret_key.get_secret_value()
    link = steps.resolve_link(db, token, secret)
    if link is None or not guard_matches(token, secret, fields.get("guard", "")):
        return _invalid(request, org)
    action, apply = CHANGES[change]
    if action.value not in link.actions:
        return _invalid(request, org, status_code=403)
    if action is LinkAction.REOPEN:
        errors = _reopen(db, link, fields, org, settings)
        if not errors:
            db.commit()  # the background loop starts the run again
            request.app.state.background.wake()
        values = fields if errors else {"changed": change}
        return _reopen_page(db, link, token, org, settings, values=values, errors=errors)
    if link.step.status is not StepStatus.OPEN:
        return _already_decided(db, link, org)
    errors = apply(db, link, fields, org, settings)
    if errors:
        return _form(db, link, token, org, settings, values=fields, errors=errors)
    db.commit()  # the outbox delivers what the change queued
    return _form(db, link, token, org, settings, values={"changed": change}, errors={})


def _reschedule(
    db: Session, link: LinkToken, fields: FormFields, org: Organization, settings: Settings
) -> dict[str, str]:
    meeting = _meeting(db, link)
    if meeting is None:
        return {"form": "this step has no meeting"}
    try:
        change = MeetingChange.model_validate(
            {
                "starts_at": forms.local_moment(
                    fields.get("meeting_at"), _reader(link, org)["zone"]
                ),
                "minutes": fields.get("meeting_minutes") or 60,
                "location": fields.get("meeting_location"),
            }
        )
    except ValidationError as exc:
        return {f"meeting_{k}": v for k, v in forms.field_errors(exc, {}).items()}
    meetings.reschedule(
        db,
        meeting,
        starts_at=change.starts_at,
        minutes=change.minutes,
        location=change.location,
        by=link.recipient,
    )
    notifications.invite(db, link.step.complaint, meeting, org, settings)
    return {}


def _note_progress(
    db: Session, link: LinkToken, fields: FormFields, org: Organization, settings: Settings
) -> dict[str, str]:
    note = fields.get("progress").strip()
    if not note or len(note) > 4000:
        return {"progress": "write what has been done so far (up to 4000 characters)"}
    actions.report_progress(db, link.step, note, by=link.recipient)
    return {}


def _manage_action(
    db: Session, link: LinkToken, fields: FormFields, org: Organization, settings: Settings
) -> dict[str, str]:
    zone = _reader(link, org)["zone"]
    try:
        change = ActionChange.model_validate(
            {
                "owner": fields.get("owner") or None,
                "due_at": forms.local_moment(fields.get("due_at"), zone),
                "reason": fields.get("reason"),
            }
        )
    except ValidationError as exc:
        return forms.field_errors(exc, {})
    step = link.step
    grace = timedelta(hours=settings.link_grace_hours)
    if change.owner is not None and change.owner != step.assignee:
        if change.owner not in org.people:
            return {"owner": "choose an owner from the list"}
        new_token = actions.reassign(
            db,
            step,
            change.owner,
            reason=change.reason,
            by=link.recipient,
            secret=settings.secret_key.get_secret_value(),
            grace=grace,
        )
        notifications.tell_new_owner(db, step.complaint, step, new_token, org, settings)
    if change.due_at is not None and change.due_at != step.due_at:
        actions.move_due(
            db, step, change.due_at, reason=change.reason, by=link.recipient, grace=grace
        )
    return {}


def _reopen(
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
    "reschedule": (LinkAction.RESCHEDULE, _reschedule),
    "progress": (LinkAction.DECIDE, _note_progress),
    "manage": (LinkAction.MANAGE, _manage_action),
    "reopen": (LinkAction.REOPEN, _reopen),
}


def _reopen_page(
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
        **_reader(link, org),
        org=org,
        status_code=422 if errors else 200,
        complaint=link.step.complaint,
        step=link.step,
        guard=form_guard(token, settings.secret_key.get_secret_value()),
        usable=link.revoked_at is None,
        values=values.as_dict() if isinstance(values, FormFields) else values,
        errors=errors,
        timeline=_timeline(db, link, org),
        token=token,
    )


def _same_origin(request: Request, settings: Settings) -> bool:
    # Browsers send Origin with every form POST; a foreign one is a cross-site forgery.
    origin = request.headers.get("origin")
    if origin is None:
        return True
    public = urlsplit(settings.public_url)
    return origin.rstrip("/") == f"{public.scheme}://{public.netloc}"


def _decide(
    db: Session,
    token: str,
    fields: FormFields,
    uploads: list[tuple[str, bytes]],
    org: Organization,
    settings: Settings,
    request: Request,
    addr: str | None,
) -> HTMLResponse:
    secret = settings.secret_key.get_secret_value()
    link = steps.resolve_link(db, token, secret)
    if link is None or not guard_matches(token, secret, fields.get("guard", "")):
        return _invalid(request, org)
    if LinkAction.DECIDE.value not in link.actions:
        return _invalid(request, org, status_code=403)
    if link.step.status is not StepStatus.OPEN:
        return _already_decided(db, link, org)
    kind = link.step.kind
    contract = STEP_INPUTS[kind]
    values = forms.contract_fields(kind, fields, _reader(link, org)["zone"])

    def refuse(errors: dict[str, str]) -> HTMLResponse:
        return _form(db, link, token, org, settings, values=fields, errors=errors)

    try:
        decision = contract.model_validate({**values, "decided_via": DecisionChannel.EMAIL_LINK})
    except ValidationError as exc:
        return refuse(forms.field_errors(exc, values))
    if errors := forms.unknown_people(kind, values, org):
        return refuse(errors)
    # The second meeting's plan answers the cause's scope; a later plan (the actions did
    # not work, or a reopening) adds to it.
    if isinstance(decision, ActionPlan) and not link.step.details.get("again"):
        analysis = steps.latest_decision(link.step.complaint, StepKind.CAUSE_ANALYSIS)
        scope = ProblemScope(analysis.get("scope", "single"))
        if errors := plan_problems(decision, scope):
            return refuse(errors)
    if uploads and kind in UPLOADS_INTO:
        try:
            stored = store_uploads(
                db,
                complaint_id=link.step.complaint_id,
                step_id=link.step.id,
                uploaded_by=link.recipient,
                files=uploads,
                settings=settings,
            )
        except UploadRefused as exc:
            return refuse({"files": str(exc)})
        field = UPLOADS_INTO[kind]
        decision = decision.model_copy(update={field: [a.id for a in stored]})
    recorded = steps.record_decision(
        db,
        link.step,
        decision,
        decided_by=link.recipient,
        channel=DecisionChannel.EMAIL_LINK,
        client_addr=addr,
    )
    if not recorded:  # a concurrent post won
        db.rollback()
        db.refresh(link.step)
        return _already_decided(db, link, org)
    db.commit()  # the decision is safe before the flow hears of it
    return render_page(
        "step_done",
        **_reader(link, org),
        org=org,
        complaint=link.step.complaint,
        step=link.step,
        timeline=_timeline(db, link, org),
        # Turned down for the last time: where the complainant can turn now (ISO 10003).
        dispute_resolution=org.follow_up.dispute_resolution
        if getattr(decision, "accepted", None) is False and link.step.details.get("last_round")
        else "",
    )


def _reader(link: LinkToken, org: Organization) -> dict[str, Any]:
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


def _timeline(db: Session, link: LinkToken, org: Organization) -> list[dict[str, Any]]:
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
            }
        )
    return rows


def _form(
    db: Session,
    link: LinkToken,
    token: str,
    org: Organization,
    settings: Settings,
    *,
    values: FormFields | dict[str, str],
    errors: dict[str, str],
) -> HTMLResponse:
    return render_page(
        f"step_{link.step.kind.value}",
        **_reader(link, org),
        org=org,
        status_code=422 if errors else 200,
        complaint=link.step.complaint,
        step=link.step,
        person=org.people.get(link.recipient),
        guard=form_guard(token, settings.secret_key.get_secret_value()),
        grades=list(Grade),
        measure_types=list(MeasureType),
        people=sorted(org.people.values(), key=lambda p: p.name),
        meeting=_meeting(db, link),
        owner_name=notifications.addressee(org, link.step.complaint, link.step.assignee).name,
        can_decide=LinkAction.DECIDE.value in link.actions,
        can_manage=LinkAction.MANAGE.value in link.actions,
        analysis=steps.latest_decision(link.step.complaint, StepKind.CAUSE_ANALYSIS),
        recurrence=_recurrence(db, link),
        actions_done=_actions_done(link, org),
        dispute_resolution=org.follow_up.dispute_resolution,
        response_rounds=org.follow_up.response_rounds,
        whys=range(1, forms.MAX_WHYS + 1),
        categories=list(IshikawaCategory),
        scopes=list(ProblemScope),
        action_types=list(ActionType),
        files=_files(db, link, token),
        upload_limits=settings,
        values=values.as_dict() if isinstance(values, FormFields) else values,
        chosen=values.getlist("attendees") if isinstance(values, FormFields) else [],
        errors=errors,
        timeline=_timeline(db, link, org),
        token=token,
    )


def _meeting(db: Session, link: LinkToken) -> Meeting | None:
    """Return the meeting whose minutes a step takes (if it is such a step)."""
    purpose = steps.MEETING_OF_MINUTES.get(link.step.kind)
    return meetings.find(db, link.step.complaint_id, purpose) if purpose else None


def _recurrence(db: Session, link: LinkToken) -> Recurrence | None:
    """Return, for an effectiveness check, the complaints that came since the actions."""
    since = (link.step.details or {}).get("actions_closed_at")
    if link.step.kind is not StepKind.EFFECTIVENESS or not since:
        return None
    return recurrence_since(db, link.step.complaint, datetime.fromisoformat(since))


def _actions_done(link: LinkToken, org: Organization) -> list[dict[str, Any]]:
    """Return the complaint's actions and what their owners reported (for the answer)."""
    return [
        {
            "type": s.details.get("type", ""),
            "description": s.details.get("description", ""),
            "owner": notifications.addressee(org, s.complaint, s.assignee).name,
            "note": (s.decision or {}).get("note", ""),
            "done_at": s.decided_at,
        }
        for s in link.step.complaint.steps
        if s.kind is StepKind.ACTION
    ]


def _files(db: Session, link: LinkToken, token: str) -> list[dict[str, Any]]:
    """Return the complaint's files the link's reader may open, with their URLs."""
    rows = repository.attachments_of(db, link.step.complaint_id)
    if link.recipient == COMPLAINANT:
        rows = [a for a in rows if a.uploaded_by == COMPLAINANT]
    return [
        {"name": a.filename, "size": a.size, "type": a.content_type, "url": file_url(token, a.id)}
        for a in rows
    ]


def _already_decided(db: Session, link: LinkToken, org: Organization) -> HTMLResponse:
    step = link.step
    decider = org.people.get(step.decided_by or "")
    return render_page(
        "step_decided",
        **_reader(link, org),
        org=org,
        status_code=409,
        complaint=step.complaint,
        step=step,
        decided_by=decider.name if decider else (step.decided_by or ""),
        timeline=_timeline(db, link, org),
    )


def _invalid(request: Request, org: Organization, *, status_code: int = 404) -> HTMLResponse:
    # One page for unknown, tampered, expired and revoked links: no hint of which it was.
    return render_page(
        "link_invalid", locale=locale_from_request(request), org=org, status_code=status_code
    )

"""Step links: GET shows the step's page, only the form's POST decides.

Mail scanners fetch every link in an email before the person does, so GET never
changes anything. The POST must come from the page itself (form guard, same origin), is
recorded once (a conditional update), committed, and only then does the background loop
resume the flow run. Every route takes its link through :data:`ui_api.links.LinkDep`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from complaints.enums import DecisionChannel, LinkAction, StepStatus
from complaints.files.uploads import UploadRefused, store_uploads
from complaints.i18n import translator
from complaints.models import LinkToken
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue import spec_of
from complaints.steps.contracts import StepInput
from complaints.steps.decisions import record_decision
from ui_api import forms
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep, client_addr
from ui_api.forms import FormFields, uploaded_files
from ui_api.links import LinkDep, LinkRefused, require_guard
from ui_api.pages import render_page
from ui_api.step_changes import CHANGES
from ui_api.step_pages import already_decided, reader, reopen_page, step_form, timeline

router = APIRouter(tags=["steps"], include_in_schema=False)
MAX_FIELD = 10_000


@router.get("/s/{token}", response_class=HTMLResponse)
def show_step(
    token: str,
    link: LinkDep,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Show the step a link is for, and its form (changes nothing)."""
    if LinkAction.REOPEN.value in link.actions:
        return reopen_page(db, link, token, org, settings, values={}, errors={})
    if link.step.status is not StepStatus.OPEN:
        return already_decided(db, link, org)
    # The complainant's two links (accept, not satisfied) open the same form, preset.
    answer = request.query_params.get("answer", "")
    values = {"answer": answer} if answer in ("accept", "not_satisfied") else {}
    return step_form(db, link, token, org, settings, values=values, errors={})


@router.post("/s/{token}", response_class=HTMLResponse)
async def decide_step(
    token: str,
    link: LinkDep,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
) -> HTMLResponse:
    """Record the decision posted by the step's form, then let the flow move on."""
    form = await request.form(max_files=settings.upload_max_files + 1)
    fields = FormFields(
        [(k, v) for k, v in form.multi_items() if isinstance(v, str) and len(v) <= MAX_FIELD]
    )
    require_guard(token, settings, fields.get("guard", ""))
    uploads = await uploaded_files(form, settings)
    response = await run_in_threadpool(
        _decide, db, link, token, fields, uploads, org, settings, client_addr(request)
    )
    if response.status_code == 200:
        background.wake()
    return response


@router.post("/s/{token}/{change}", response_class=HTMLResponse)
async def change_step(
    token: str,
    change: str,
    link: LinkDep,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
) -> HTMLResponse:
    """Move a meeting, note an action's progress, or reassign an action / move its date."""
    if change not in CHANGES:
        raise LinkRefused(404)
    form = await request.form()
    fields = FormFields([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    require_guard(token, settings, fields.get("guard", ""))
    action, _apply = CHANGES[change]
    if action.value not in link.actions:
        raise LinkRefused(403, counted=False)
    response = await run_in_threadpool(_change, db, link, token, change, fields, org, settings)
    if action is LinkAction.REOPEN and response.status_code == 200:
        background.wake()  # the background loop starts the run again
    return response


def _change(
    db: Session,
    link: LinkToken,
    token: str,
    change: str,
    fields: FormFields,
    org: Organization,
    settings: Settings,
) -> HTMLResponse:
    action, apply = CHANGES[change]
    if action is LinkAction.REOPEN:
        errors = apply(db, link, fields, org, settings)
        if not errors:
            db.commit()
        values = fields if errors else {"changed": change}
        return reopen_page(db, link, token, org, settings, values=values, errors=errors)
    if link.step.status is not StepStatus.OPEN:
        return already_decided(db, link, org)
    errors = apply(db, link, fields, org, settings)
    if errors:
        return step_form(db, link, token, org, settings, values=fields, errors=errors)
    db.commit()  # the outbox delivers what the change queued
    return step_form(db, link, token, org, settings, values={"changed": change}, errors={})


def _decide(
    db: Session,
    link: LinkToken,
    token: str,
    fields: FormFields,
    uploads: list[tuple[str, bytes]],
    org: Organization,
    settings: Settings,
    addr: str | None,
) -> HTMLResponse:
    if LinkAction.DECIDE.value not in link.actions:
        raise LinkRefused(403, counted=False)
    if link.step.status is not StepStatus.OPEN:
        return already_decided(db, link, org)
    checked = _checked(db, link, fields, uploads, org, settings)
    if not isinstance(checked, StepInput):
        return step_form(db, link, token, org, settings, values=fields, errors=checked)
    recorded = record_decision(
        db,
        link.step,
        checked,
        decided_by=link.recipient,
        channel=DecisionChannel.EMAIL_LINK,
        client_addr=addr,
    )
    if not recorded:  # a concurrent post won
        db.rollback()
        db.refresh(link.step)
        return already_decided(db, link, org)
    db.commit()  # the decision is safe before the flow hears of it
    return render_page(
        "step_done",
        **reader(link, org),
        org=org,
        complaint=link.step.complaint,
        step=link.step,
        timeline=timeline(db, link, org),
        # Turned down for the last time: where the complainant can turn now (ISO 10003).
        dispute_resolution=org.follow_up.dispute_resolution
        if getattr(checked, "accepted", None) is False and link.step.details.get("last_round")
        else "",
    )


def _checked(
    db: Session,
    link: LinkToken,
    fields: FormFields,
    uploads: list[tuple[str, bytes]],
    org: Organization,
    settings: Settings,
) -> StepInput | dict[str, str]:
    """Return the decision a form posted, with its files stored; or its problems by field
    (then nothing is stored)."""
    spec = spec_of(link.step.kind)
    values = forms.contract_fields(spec.kind, fields, reader(link, org)["zone"])
    try:
        decision = spec.contract.model_validate(
            {**values, "decided_via": DecisionChannel.EMAIL_LINK}
        )
    except ValidationError as exc:
        return forms.field_errors(exc, values)
    if errors := forms.not_in_organization(spec.kind, values, org) or spec.decision_problems(
        link.step, decision
    ):
        return errors
    if not (uploads and spec.uploads_into):
        return decision
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
        _ = translator(reader(link, org)["locale"])
        return {"files": _(exc.message, **exc.values)}
    return decision.model_copy(update={spec.uploads_into: [a.id for a in stored]})

"""The management review in the reviews area: convene one now, and change an open
action's owner or due date with a reason (the owner is asked again)."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from complaints.i18n import translator
from complaints.management.decide import DecisionRefused, change_action, due_at_on
from complaints.models import ReviewTask, utcnow
from complaints.steps.contracts import ActionChange
from ui_api.background.prefect_runs import connect
from ui_api.background.review_schedules import ReviewDeployment
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep
from ui_api.links import LinkRefused
from ui_api.review_access import LeadDep, locale_of
from ui_api.review_dashboard import dashboard
from ui_api.review_forms import management_form
from ui_api.routes.reviews import guarded_form, home

router = APIRouter(prefix="/reviews", tags=["reviews"], include_in_schema=False)


@router.post("/management", response_class=HTMLResponse)
async def convene_now(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep, lead: LeadDep
) -> Response:
    """Start a management review now (the pack and invitation follow once it has run)."""
    form = await guarded_form(request, settings)
    checked = management_form(form, org, translator(locale_of(lead)))
    if checked.errors:
        return await dashboard(request, db, org, settings, lead, management=(form, checked.errors))
    async with connect() as client:
        deployment = ReviewDeployment(client, settings.management_review_deployment)
        await deployment.run_now(checked.parameters)
    return home("started")


@router.post("/actions/{task_id}", response_class=HTMLResponse)
async def change_review_action(
    task_id: uuid.UUID,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    lead: LeadDep,
    background: BackgroundDep,
) -> Response:
    """Reassign a review's open action or move its due date, with the reason."""
    form = await guarded_form(request, settings)
    task = db.get(ReviewTask, task_id)
    if task is None:
        raise LinkRefused(404, counted=False)
    _ = translator(locale_of(lead))
    errors: dict[str, str] = {}
    try:
        raw_day = str(form.get("due_on") or "")
        due = due_at_on(org, date.fromisoformat(raw_day)) if raw_day else None
        change = ActionChange(
            owner=str(form.get("owner") or "") or None,
            due_at=due,
            reason=str(form.get("reason") or ""),
        )
        change_action(db, org, settings, task, change, by=lead.key, now=utcnow())
    except ValueError as exc:  # a date that is none, the contract's or the records' refusal
        field = exc.field if isinstance(exc, DecisionRefused) else _field(exc)
        errors[field] = _(f"review.action.error.{field}")
    if errors:
        db.rollback()
        values = {**{k: str(v) for k, v in form.items()}, "task": str(task_id)}
        return await dashboard(request, db, org, settings, lead, action=(values, errors))
    db.commit()
    background.wake()
    return home("changed")


def _field(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        loc = exc.errors()[0]["loc"]
        name = str(loc[0]) if loc else str(exc.errors()[0]["msg"]).split(":")[0].split()[-1]
        return name if name in ("owner", "reason") else "owner"
    return "due_on"

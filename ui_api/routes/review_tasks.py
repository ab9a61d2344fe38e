"""Links of a management review's tasks: the chair submits the minutes, an owner reports
an action done with evidence (ISO 10002 8.6). No account: the link is the capability,
checked as a step link is (bad links counted per client, forms guarded)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from complaints.enums import Locale, StepStatus
from complaints.files.uploads import UploadRefused
from complaints.i18n import translator
from complaints.management.contracts import ActionDone
from complaints.management.decide import DecisionRefused, report_done
from complaints.management.evidence import store_evidence
from complaints.management.links import resolve_link
from complaints.management.minutes import record_minutes
from complaints.models import Review, ReviewFile, ReviewLink, TaskKind, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.tokens import form_guard
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep
from ui_api.forms import uploaded_files
from ui_api.links import LinkRefused, check_link_request, require_guard
from ui_api.pages import render_page
from ui_api.review_task_forms import minutes_from_form, refusal_errors
from ui_api.routes.reviews import review_file_download

router = APIRouter(tags=["management review"], include_in_schema=False)


def open_review_link(token: str, request: Request, db: DbDep, settings: SettingsDep) -> ReviewLink:
    """Return the review task link a request carries, or refuse it."""
    check_link_request(request, settings)
    link = resolve_link(db, token, settings, now=utcnow())
    if link is None:
        raise LinkRefused(404)
    return link


ReviewLinkDep = Annotated[ReviewLink, Depends(open_review_link)]


def task_page(
    db: Session,
    link: ReviewLink,
    token: str,
    org: Organization,
    settings: Settings,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    recorded: bool = False,
) -> HTMLResponse:
    """Render the page of a link's task in its recipient's language."""
    task = link.task
    reader = org.people.get(link.recipient)
    locale = Locale(reader.locale) if reader else Locale.EN
    review = db.get_one(Review, task.review_id)
    management = task.management
    evidence = {str(i) for i in (task.decision or {}).get("evidence", [])}
    return render_page(
        "review_minutes" if task.kind is TaskKind.MINUTES else "review_action",
        locale=locale,
        org=org,
        zone=org.zone_of(reader),
        status_code=422 if errors else 200,
        token=token,
        guard=form_guard(token, settings.secret_key.get_secret_value()),
        task=task,
        review=review,
        management=management,
        name_of=org.name_of,
        participant_names=[org.name_of(key) for key in management.participants],
        people=sorted(org.people.values(), key=lambda p: p.name),
        files=[f for f in review.files if _is_pack_or_record(f)],
        evidence=[f for f in review.files if str(f.id) in evidence],
        can_decide=task.status is StepStatus.OPEN,
        values=values or {},
        errors=errors or {},
        recorded=recorded,
        rows=range(1, 6),
        upload_limits=settings,
    )


def _is_pack_or_record(stored: ReviewFile) -> bool:
    return stored.content_type == "application/pdf" and "-action-" not in stored.filename


@router.get("/r/{token}", response_class=HTMLResponse)
def review_task(
    token: str, link: ReviewLinkDep, db: DbDep, org: OrganizationDep, settings: SettingsDep
) -> HTMLResponse:
    return task_page(db, link, token, org, settings)


@router.post("/r/{token}", response_class=HTMLResponse)
async def decide_review_task(
    token: str,
    link: ReviewLinkDep,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
) -> HTMLResponse:
    """Record the minutes, or that the action is done; the review's run moves on."""
    form = await request.form(max_files=settings.upload_max_files + 1)
    require_guard(token, settings, str(form.get("guard") or ""))
    uploads = await uploaded_files(form, settings)
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    values["attended"] = [str(v) for v in form.getlist("attended")]
    response = await run_in_threadpool(_decide, db, link, token, values, uploads, org, settings)
    if response.status_code == 200:
        background.wake()
    return response


def _decide(
    db: Session,
    link: ReviewLink,
    token: str,
    values: dict[str, Any],
    uploads: list[tuple[str, bytes]],
    org: Organization,
    settings: Settings,
) -> HTMLResponse:
    task = link.task
    reader = org.people.get(link.recipient)
    _ = translator(Locale(reader.locale) if reader else Locale.EN)
    if task.status is not StepStatus.OPEN:
        return task_page(db, link, token, org, settings)  # done already: it says by whom
    now = utcnow()
    try:
        if task.kind is TaskKind.MINUTES:
            minutes = minutes_from_form(values, _)
            if isinstance(minutes, dict):
                return task_page(db, link, token, org, settings, values=values, errors=minutes)
            record_minutes(db, org, task, minutes, by=link.recipient, now=now)
        else:
            # The note is checked before any file is kept: a refused form keeps nothing.
            done = ActionDone(note=values.get("note", ""))
            evidence = store_evidence(db, settings, task, uploads) if uploads else []
            done = done.model_copy(update={"evidence": evidence})
            report_done(db, task, done, by=link.recipient, now=now)
    except ValidationError as exc:
        db.rollback()
        errors = refusal_errors(exc, _)
        return task_page(db, link, token, org, settings, values=values, errors=errors)
    except DecisionRefused as exc:
        db.rollback()
        errors = {exc.field: _(f"mr.page.error.{exc.field.split('_')[0]}")}
        return task_page(db, link, token, org, settings, values=values, errors=errors)
    except UploadRefused as exc:
        db.rollback()
        errors = {"files": _(exc.message, **exc.values)}
        return task_page(db, link, token, org, settings, values=values, errors=errors)
    db.commit()
    return task_page(db, link, token, org, settings, recorded=True)


@router.get("/r/{token}/files/{file_id}")
def review_task_file(
    file_id: uuid.UUID, link: ReviewLinkDep, db: DbDep, settings: SettingsDep
) -> Response:
    """A file of the link's review (its pack, its record, evidence), checked by hash."""
    stored = db.get(ReviewFile, file_id)
    if stored is None or stored.review_id != link.task.review_id:
        raise LinkRefused(404, counted=False)
    return review_file_download(settings, stored)

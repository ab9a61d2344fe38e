"""The reviews area: quality leads sign in by an emailed link, read past reviews, run one
now and keep the schedules (Prefect deployment schedules of the review deployment)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from complaints.classification import CorrectionRefused, correct_category
from complaints.files.uploads import AttachmentDamaged, read_checked, stored_path
from complaints.i18n import translator
from complaints.models import ReviewFile, utcnow
from complaints.reviews.access import redeem_sign_in, request_sign_in, sign_in_link_is_open
from ui_api.background.prefect_runs import connect
from ui_api.background.review_schedules import ReviewDeployment, ScheduleRefused
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep, client_addr
from ui_api.links import LinkRefused
from ui_api.pages import locale_from_request, render_page
from ui_api.review_access import (
    LeadDep,
    end_session,
    guard_holds,
    locale_of,
    session_person,
    start_session,
)
from ui_api.review_dashboard import dashboard
from ui_api.review_forms import ReviewForm, run_form, schedule_form

router = APIRouter(prefix="/reviews", tags=["reviews"], include_in_schema=False)
HOME = "/reviews"


def home(notice: str = "") -> RedirectResponse:
    return RedirectResponse(f"{HOME}?done={notice}" if notice else HOME, status_code=303)


@router.get("", response_class=HTMLResponse)
async def reviews_home(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep
) -> Response:
    """The area for a signed-in quality lead; the sign-in form for anyone else."""
    person = session_person(request, settings, org)
    if person is None:
        return render_page("reviews_sign_in", locale=locale_from_request(request), org=org)
    if person.key not in org.quality_leads:  # the front desk has its page, nothing else
        return RedirectResponse(f"{HOME}/front-desk", status_code=303)
    return await dashboard(request, db, org, settings, person)


@router.post("/sign-in", response_class=HTMLResponse)
def ask_for_link(
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> HTMLResponse:
    """Mail a sign-in link if the address is a quality lead's; say the same either way."""
    limiter = request.app.state.link_failures
    addr = client_addr(request)
    if limiter.blocked(addr):
        raise LinkRefused(429, counted=False)
    limiter.failed(addr)  # every request counts: asking is what an attacker would repeat
    if request_sign_in(db, org, settings, email, now=utcnow()) is not None:
        db.commit()
        background.wake()  # the link goes out with the next round, not a second later
    return render_page("reviews_link_sent", locale=locale_from_request(request), org=org)


@router.get("/sign-in/{token}", response_class=HTMLResponse)
def sign_in_page(
    token: str, request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep
) -> HTMLResponse:
    """A page with a button: only the POST signs in (mail scanners open every link)."""
    if not sign_in_link_is_open(db, settings, token, now=utcnow()):
        raise LinkRefused(404)
    return render_page("reviews_sign_in_link", locale=locale_from_request(request), org=org)


@router.post("/sign-in/{token}")
def sign_in(token: str, db: DbDep, org: OrganizationDep, settings: SettingsDep) -> Response:
    """Use the link once and open the session."""
    person = redeem_sign_in(db, org, settings, token, now=utcnow())
    if person is None:
        raise LinkRefused(404)
    db.commit()
    response = home()
    start_session(response, person, settings)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    settings: SettingsDep,
    lead: LeadDep,
    guard: Annotated[str, Form()] = "",
) -> Response:
    _require_guard(request, settings, guard)
    response = RedirectResponse(HOME, status_code=303)
    end_session(response)
    return response


@router.get("/files/{file_id}")
def review_file(file_id: uuid.UUID, db: DbDep, settings: SettingsDep, lead: LeadDep) -> Response:
    """A review's PDF, CSV or chart, checked against its hash."""
    stored = db.get(ReviewFile, file_id)
    if stored is None:
        raise LinkRefused(404, counted=False)
    return review_file_download(settings, stored)


def review_file_download(settings: Any, stored: ReviewFile) -> Response:
    """Answer with a review's file as a download, once its bytes match its hash (410 when
    it is missing or altered)."""
    try:
        data = read_checked(stored_path(settings, stored.id), stored.size, stored.sha256)
    except AttachmentDamaged as exc:
        raise LinkRefused(410, counted=False) from exc
    return Response(
        data,
        media_type=stored.content_type,
        headers={"Content-Disposition": f'attachment; filename="{stored.filename}"'},
    )


def _require_guard(request: Request, settings: Any, guard: str) -> None:
    if not guard_holds(request, settings, guard):
        raise LinkRefused(403, counted=False)


async def guarded_form(request: Request, settings: Any) -> FormData:
    """Read a form of the area; refuse one without this session's guard."""
    form = await request.form()
    _require_guard(request, settings, str(form.get("guard") or ""))
    return form


def deployment_of(settings: Any, review: str) -> str:
    """Return the deployment a schedule of a kind of review runs."""
    if review == "management":
        return str(settings.management_review_deployment)
    return str(settings.review_deployment)


def _parameters(checked: ReviewForm) -> dict[str, Any]:
    return {k: v for k, v in checked.parameters.items() if v not in (None, "")}


@router.post("/run", response_class=HTMLResponse)
async def run_now(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep, lead: LeadDep
) -> Response:
    """Start a review run now (the email follows once it has run)."""
    form = await guarded_form(request, settings)
    checked = run_form(form, org, translator(locale_of(lead)))
    if checked.errors:
        return await dashboard(request, db, org, settings, lead, run=(form, checked.errors))
    async with connect() as client:
        await ReviewDeployment(client, settings.review_deployment).run_now(_parameters(checked))
    return home("started")


@router.post("/classify", response_class=HTMLResponse)
async def correct_a_category(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep, lead: LeadDep
) -> Response:
    """Correct a complaint's category; reviews of earlier periods keep the one it had."""
    form = await guarded_form(request, settings)
    try:
        correct_category(
            db,
            org,
            str(form.get("reference") or ""),
            str(form.get("category") or ""),
            by=lead.key,
            reason=str(form.get("reason") or ""),
        )
    except CorrectionRefused as refused:
        _ = translator(locale_of(lead))
        errors = {refused.field: _(f"review.classify.error.{refused.field}")}
        return await dashboard(request, db, org, settings, lead, classify=(form, errors))
    db.commit()
    return home("classified")


@router.post("/schedules", response_class=HTMLResponse)
async def create_schedule(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep, lead: LeadDep
) -> Response:
    """Add a schedule; it shows in the Prefect UI as the deployment's."""
    return await _keep_schedule(request, db, org, settings, lead, None)


@router.post("/schedules/{schedule_id}", response_class=HTMLResponse)
async def edit_schedule(
    schedule_id: uuid.UUID,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    lead: LeadDep,
) -> Response:
    """Change a schedule: its rule, zone, recipients, filters, or pause and resume it."""
    return await _keep_schedule(request, db, org, settings, lead, schedule_id)


async def _keep_schedule(
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    lead: LeadDep,
    schedule_id: uuid.UUID | None,
) -> Response:
    form = await guarded_form(request, settings)
    _ = translator(locale_of(lead))
    checked = schedule_form(form, org, _)
    if not checked.errors:
        try:
            async with connect() as client:
                deployment = ReviewDeployment(client, deployment_of(settings, checked.review))
                if schedule_id is None:
                    await deployment.create_schedule(
                        slug=f"review-{uuid.uuid4().hex[:8]}",
                        cron=checked.cron,
                        timezone=checked.timezone,
                        active=checked.active,
                        parameters=_parameters(checked),
                    )
                else:
                    await deployment.update_schedule(
                        schedule_id,
                        cron=checked.cron,
                        timezone=checked.timezone,
                        active=checked.active,
                        parameters=_parameters(checked),
                    )
        except ScheduleRefused as refused:
            field = str(refused)
            checked.errors[field] = _(f"review.error.{field}")
    if checked.errors:
        editing = (str(schedule_id) if schedule_id else "new", form, checked.errors)
        return await dashboard(request, db, org, settings, lead, schedule=editing)
    return home("saved")


@router.post("/schedules/{schedule_id}/active")
async def pause_or_resume(
    schedule_id: uuid.UUID,
    request: Request,
    settings: SettingsDep,
    lead: LeadDep,
    guard: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    review: Annotated[str, Form()] = "trend",
) -> Response:
    """Pause a schedule (no runs until resumed) or resume it."""
    _require_guard(request, settings, guard)
    async with connect() as client:
        await ReviewDeployment(client, deployment_of(settings, review)).set_active(
            schedule_id, active=active == "yes"
        )
    return home("resumed" if active == "yes" else "paused")


@router.post("/schedules/{schedule_id}/delete")
async def delete_schedule(
    schedule_id: uuid.UUID,
    request: Request,
    settings: SettingsDep,
    lead: LeadDep,
    guard: Annotated[str, Form()] = "",
    review: Annotated[str, Form()] = "trend",
) -> Response:
    _require_guard(request, settings, guard)
    async with connect() as client:
        deployment = ReviewDeployment(client, deployment_of(settings, review))
        await deployment.delete_schedule(schedule_id)
    return home("deleted")

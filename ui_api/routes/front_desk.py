"""The front desk (ISO 10002 7.2: every channel recorded): staff record a complaint received
by phone, by letter or in person, with the complainant's files, on the public form's page
plus the channel; signed in like the quality leads, and named in the complaint's trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from complaints.enums import Channel
from complaints.files.uploads import UploadRefused, check_uploads
from complaints.i18n import translator
from complaints.intake.web_form import FormRefused, intake_from_form
from complaints.models import utcnow
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep, client_addr
from ui_api.forms import uploaded_files
from ui_api.pages import locale_from_request
from ui_api.review_access import StaffDep, guard_holds, session_guard
from ui_api.routes.public import MAX_FIELD, confirmation, form_page, record

router = APIRouter(prefix="/reviews/front-desk", tags=["front desk"], include_in_schema=False)
# The ways a complaint reaches the front desk.
CHANNELS = (Channel.PHONE, Channel.LETTER, Channel.IN_PERSON)
PAGE = "/reviews/front-desk"


@router.get("", response_class=HTMLResponse)
def front_desk(
    request: Request, org: OrganizationDep, settings: SettingsDep, staff: StaffDep
) -> HTMLResponse:
    """Show the empty form, for a complaint received by phone, by letter or in person."""
    return form_page(request, org, settings, values={}, errors={}, **_desk(request, settings))


@router.post("", response_class=HTMLResponse)
async def record_at_the_desk(
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
    staff: StaffDep,
) -> HTMLResponse:
    """Record the complaint the staff member took, or show each problem at its field."""
    form = await request.form(max_files=settings.upload_max_files + 1)
    fields = {k: v for k, v in form.items() if isinstance(v, str) and len(v) <= MAX_FIELD}
    if not guard_holds(request, settings, fields.get("guard", "")):
        return form_page(
            request, org, settings, values=fields, errors={}, status=403, **_desk(request, settings)
        )
    files = await uploaded_files(form, settings)
    locale = locale_from_request(request)
    errors: dict[str, str] = {}
    try:
        intake = intake_from_form(fields, locale=locale, zone=org.zone_of(), now=utcnow())
    except FormRefused as refused:
        errors.update(refused.errors)
    if fields.get("channel") not in CHANNELS:
        errors["channel"] = "choose one of the options"
    if not errors:
        try:
            check_uploads(files, settings)
        except UploadRefused as refused:
            errors["files"] = translator(locale)(refused.message, **refused.values)
    if not errors:
        intake = intake.model_copy(update={"channel": Channel(fields["channel"])})
        complaint = record(
            db, intake, files, org, settings, received_by=staff.key, client=client_addr(request)
        )
        background.wake()
        return confirmation(request, complaint, org, settings, locale=locale, desk=PAGE)
    return form_page(
        request, org, settings, values=fields, errors=errors, status=422, **_desk(request, settings)
    )


def _desk(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """What the form needs at the desk: where it posts, its guard, the channels."""
    return {"desk": PAGE, "guard": session_guard(request, settings), "channels": CHANNELS}

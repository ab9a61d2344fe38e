"""The public pages (ISO 10002 7.1, 7.2): the complaint form, its confirmation, and how
complaints are handled. No account, no JavaScript; in English or Chinese.

Nothing is stored until the whole form is valid: the complaint and its files are one
transaction (files already written are removed when it fails). A honeypot field, a limit
of posts per client, the body size limit and the acknowledgements per address keep the
form from being turned against anyone.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from complaints.deadlines.schedule import contain_by
from complaints.enums import Locale
from complaints.files.uploads import UploadRefused, check_uploads, store_uploads
from complaints.i18n import translator
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.intake.web_form import FormRefused, intake_from_form
from complaints.mail.addresses import status_url
from complaints.models import Complaint, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from ui_api.deps import BackgroundDep, DbDep, OrganizationDep, SettingsDep, client_addr
from ui_api.forms import in_language, uploaded_files
from ui_api.pages import locale_from_request, render_page
from ui_api.ratelimit import FailureLimiter

router = APIRouter(tags=["public"], include_in_schema=False)
MAX_FIELD = 10_000
# The honeypot: hidden from people (and from screen readers), filled in by bots.
HONEYPOT = "website"


@router.get("/complain", response_class=HTMLResponse)
def complaint_form(request: Request, org: OrganizationDep, settings: SettingsDep) -> HTMLResponse:
    """Show the empty complaint form in the reader's language."""
    return form_page(request, org, settings, values={}, errors={})


@router.post("/complain", response_class=HTMLResponse)
async def file_from_form(
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    background: BackgroundDep,
) -> HTMLResponse:
    """Record a complaint from the form, or show the form again with each problem."""
    limiter: FailureLimiter = request.app.state.form_limiter
    client = client_addr(request)
    locale = locale_from_request(request)
    if limiter.blocked(client):
        return render_page(
            "complain_later", locale=locale, org=org, status_code=429, **_page(request)
        )
    limiter.failed(client)  # every post counts towards the client's hourly share
    form = await request.form(max_files=settings.upload_max_files + 1)
    fields = {k: v for k, v in form.items() if isinstance(v, str) and len(v) <= MAX_FIELD}
    if fields.get(HONEYPOT):
        return render_page(
            "complain_done", locale=locale, org=org, complaint=None, desk=None, **_page(request)
        )
    files = await uploaded_files(form, settings)
    try:
        intake = intake_from_form(fields, locale=locale, zone=org.zone_of(), now=utcnow())
        check_uploads(files, settings)
    except FormRefused as refused:
        return form_page(request, org, settings, values=fields, errors=refused.errors, status=422)
    except UploadRefused as refused:
        errors = {"files": translator(locale)(refused.message, **refused.values)}
        return form_page(request, org, settings, values=fields, errors=errors, status=422)
    complaint = record(db, intake, files, org, settings, received_by="complainant", client=client)
    background.wake()
    return confirmation(request, complaint, org, settings, locale=locale)


def record(
    db: Session,
    intake: ComplaintIn,
    files: list[tuple[str, bytes]],
    org: Organization,
    settings: Settings,
    *,
    received_by: str,
    client: str | None,
) -> Complaint:
    """Record a checked complaint and its files in one transaction, committed."""
    [complaint] = service.file_complaints(db, [intake], org, received_by=[received_by])
    if files:
        store_uploads(
            db,
            complaint_id=complaint.id,
            step_id=None,
            uploaded_by=received_by,
            files=files,
            settings=settings,
            channel=intake.channel.value,
            client_addr=client,
        )
    db.commit()  # recorded before the run starts or anything is sent
    return complaint


def confirmation(
    request: Request,
    complaint: Complaint,
    org: Organization,
    settings: Settings,
    *,
    locale: Locale,
    **context: Any,
) -> HTMLResponse:
    """Show the reference, what happens next with the organization's limits, the link."""
    return render_page(
        "complain_done",
        locale=locale,
        org=org,
        status_code=201,
        complaint=complaint,
        status_link=status_url(settings, complaint),
        contain_by=contain_by(complaint, org),
        limits=_limits(org),
        **_page(request),
        **{"desk": None, **context},
    )


@router.get("/how-we-handle-complaints", response_class=HTMLResponse)
def how_we_handle(request: Request, org: OrganizationDep) -> HTMLResponse:
    """Say where and how to complain and how a complaint is handled (ISO 10002 7.1)."""
    return render_page(
        "how_we_handle",
        locale=locale_from_request(request),
        org=org,
        limits=_limits(org),
        **_page(request),
    )


def form_page(
    request: Request,
    org: Organization,
    settings: Settings,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    locale = locale_from_request(request)
    return render_page(
        "complain",
        locale=locale,
        org=org,
        status_code=status,
        values=values,
        errors=in_language(errors, translator(locale)),
        upload_limits=settings,
        **_page(request),
        **{"desk": None, **context},
    )


def _page(request: Request) -> dict[str, Any]:
    """What every public page needs: the other language's address."""
    other = Locale.EN if locale_from_request(request) is Locale.ZH_CN else Locale.ZH_CN
    return {"other_lang": other.value, "path": request.url.path}


def _limits(org: Organization) -> dict[str, float]:
    """The organization's own time limits the public pages state, in hours."""
    hours = org.deadlines.due_hours
    return {
        "assessment": hours.assessment,
        "containment": hours.containment,
        "response": hours.response,
    }

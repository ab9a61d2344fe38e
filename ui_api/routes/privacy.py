"""Personal data: a quality lead exports or erases everything held about one complainant
(reviews area); the complainant fetches their export once through the link they were given."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from complaints.enums import Stage
from complaints.i18n import translator
from complaints.models import Complaint, utcnow
from complaints.organization import Person
from complaints.privacy.erasure import Erased, complaints_of, erase_complaint
from complaints.privacy.exports import export_path, find_export, make_export, take_export
from ui_api.deps import DbDep, OrganizationDep, SettingsDep
from ui_api.links import LinkRefused
from ui_api.pages import locale_from_request, render_page
from ui_api.review_access import LeadDep, locale_of
from ui_api.routes.reviews import guarded_form

router = APIRouter(tags=["privacy"], include_in_schema=False)


def _whose(db: DbDep, whose: str) -> list[Complaint]:
    """The complaints of the complainant named by an email address or a reference."""
    whose = whose.strip()
    if "@" in whose:
        return list(complaints_of(db, email=whose))
    found = complaints_of(db, reference=whose) if whose else []
    return list(complaints_of(db, email=found[0].complainant_email)) if found else []


def _page(lead: Person, org: OrganizationDep, status_code: int = 200, **values: object) -> Response:
    return render_page(
        "reviews_privacy",
        locale=locale_of(lead),
        org=org,
        zone=org.zone_of(lead),
        status_code=status_code,
        **{"error": "", "erased": None, "export_link": "", "export_until": None, **values},
    )


@router.post("/reviews/privacy/erase", response_class=HTMLResponse)
async def erase_personal_data(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep, lead: LeadDep
) -> Response:
    """Erase a complainant's personal data from every closed complaint of theirs."""
    form = await guarded_form(request, settings)
    _ = translator(locale_of(lead))
    reason = str(form.get("reason") or "").strip()[:2000]
    found = _whose(db, str(form.get("whose") or ""))
    close = form.get("close") == "yes"
    still_open = [c.reference for c in found if c.stage is not Stage.CLOSED and not close]
    error = (
        _("privacy.error.whose")
        if not found
        else _("privacy.error.reason")
        if not reason
        else _("Close these complaints first: %(references)s", references=", ".join(still_open))
        if still_open
        else ""
    )
    if error:
        return _page(lead, org, 422, error=error)
    done = Erased()
    for complaint in found:
        done.add(
            erase_complaint(
                db,
                complaint,
                by=lead.key,
                reason=reason,
                settings=settings,
                now=utcnow(),
                close_open=close,
            )
        )
    db.commit()
    done.remove_after_commit(settings)
    return _page(lead, org, erased=done)


@router.post("/reviews/privacy/export", response_class=HTMLResponse)
async def export_personal_data(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep, lead: LeadDep
) -> Response:
    """Make a complainant's export and show its single-use link (once)."""
    form = await guarded_form(request, settings)
    found = _whose(db, str(form.get("whose") or ""))
    if not found:
        return _page(lead, org, 422, error=translator(locale_of(lead))("privacy.error.whose"))
    link = make_export(db, found, by=lead.key, settings=settings, now=utcnow())
    db.commit()
    url = f"{settings.public_url}/privacy/export/{link.token}"
    return _page(lead, org, export_link=url, export_until=link.export.expires_at)


@router.get("/privacy/export/{token}", response_class=HTMLResponse)
def export_page(
    token: str, request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep
) -> HTMLResponse:
    """A page with a button: only the POST hands the file over (mail scanners open links)."""
    if find_export(db, token, settings, utcnow()) is None:
        raise LinkRefused(404)
    return render_page("privacy_export", locale=locale_from_request(request), org=org)


@router.post("/privacy/export/{token}")
def export_download(token: str, db: DbDep, settings: SettingsDep) -> Response:
    """Hand the export over once; the link is used up and the file deleted."""
    now = utcnow()
    export = find_export(db, token, settings, now)
    if export is None:
        raise LinkRefused(404)
    data = take_export(db, export, settings, now)
    db.commit()
    # The file goes once the link is used; the retention job removes any left behind.
    export_path(settings, export.id).unlink(missing_ok=True)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="personal-data.zip"',
            "Cache-Control": "no-store",
        },
    )

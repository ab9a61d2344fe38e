"""Units shipped per product family and month, uploaded by a quality lead in the reviews
area; reviews then show complaints per million units (ISO 10002 8.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from complaints.i18n import translator
from complaints.models import utcnow
from complaints.reviews.volumes import VolumesRefused, parse_volumes, record_volumes
from ui_api.deps import DbDep, OrganizationDep, SettingsDep
from ui_api.review_access import LeadDep, locale_of
from ui_api.review_dashboard import dashboard
from ui_api.routes.reviews import guarded_form, home

router = APIRouter(prefix="/reviews", tags=["reviews"], include_in_schema=False)
# A volumes file is a few lines per family and month: far below this.
MAX_BYTES = 1_000_000


@router.post("/volumes", response_class=HTMLResponse)
async def upload_volumes(
    request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep, lead: LeadDep
) -> Response:
    """Keep the volumes of a CSV, or name every problem of it by its line."""
    form = await guarded_form(request, settings)
    _ = translator(locale_of(lead))
    upload = form.get("volumes")
    data = await upload.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        if not data:
            raise VolumesRefused([(0, "review.volumes.missing")])
        if len(data) > MAX_BYTES:
            raise VolumesRefused([(0, "review.volumes.error.too_long")])
        volumes = parse_volumes(data, org)
    except VolumesRefused as refused:
        problems = [
            _("line %(line)s: %(problem)s", line=line, problem=_(message)) if line else _(message)
            for line, message in refused.problems
        ]
        errors = {"volumes": "; ".join(problems)}
        return await dashboard(request, db, org, settings, lead, volumes=(form, errors))
    record_volumes(db, volumes, by=lead.key, at=utcnow())
    db.commit()
    return home("volumes")

"""The complainant's login-free status page (ISO 10002 7.3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from complaints import repository
from complaints.deadlines.schedule import next_commitment
from complaints.enums import Locale, OutboxStatus, Resolution
from complaints.tokens import verify_status
from ui_api.deps import DbDep, OrganizationDep, SettingsDep
from ui_api.links import LinkRefused
from ui_api.pages import render_page

router = APIRouter(tags=["status"], include_in_schema=False)


@router.get("/status/{signed}", response_class=HTMLResponse)
def show_status(
    signed: str, request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep
) -> HTMLResponse:
    """Show a complaint's stage, next committed date and what the complainant was told."""
    complaint_id = verify_status(signed, settings.secret_key.get_secret_value())
    complaint = repository.get_complaint(db, complaint_id) if complaint_id else None
    # An erased complaint's status link is dead, like its step links.
    if complaint is None or complaint.erased_at is not None:
        raise LinkRefused(404, counted=False)
    told = [
        m
        for m in repository.outbox_messages(db, complaint_id=complaint.id)
        if m.recipient == complaint.complainant_email and m.status is OutboxStatus.SENT
    ]
    chosen = request.query_params.get("lang")
    locale = Locale(chosen) if chosen in {loc.value for loc in Locale} else complaint.locale
    return render_page(
        "status",
        locale=locale,
        org=org,
        complaint=complaint,
        next_due=next_commitment(complaint, org),
        told=told,
        # Turned down the last answer: where the complainant can turn now (ISO 10003).
        dispute_resolution=org.follow_up.dispute_resolution
        if complaint.resolution is Resolution.REFERRED
        else "",
    )

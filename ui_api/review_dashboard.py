"""The reviews area's page: past reviews, a review to run now, and the schedules."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from complaints.enums import Locale
from complaints.i18n import format_datetime
from complaints.models import Review, ShippedVolume, utcnow
from complaints.organization import Organization, Person
from complaints.reviews.view import key_label
from complaints.settings import Settings
from ui_api.background.prefect_runs import connect
from ui_api.background.review_schedules import ReviewDeployment, ReviewSchedule
from ui_api.management_view import management_reviews
from ui_api.pages import render_page
from ui_api.review_access import locale_of, session_guard
from ui_api.review_forms import PERIODS

logger = logging.getLogger("complaints.reviews")
LATEST = 50
RUN_FIELDS = ("period", "first_day", "last_day", "department", "product_family")
# A form shown again with what was posted and its errors: (form, errors).
Posted = tuple[FormData, dict[str, str]]


def _values(form: FormData | None) -> dict[str, Any]:
    if form is None:
        return {}
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "recipients"}
    values["recipients"] = [str(r) for r in form.getlist("recipients")]
    return values


def _asked(request: Request) -> dict[str, Any]:
    """Return the run form's values a link asked for (the trend alert's "review these
    days of this family")."""
    return {k: v for k, v in request.query_params.items() if k in RUN_FIELDS}


def _scope(parameters: dict[str, Any], org: Organization, locale: Locale) -> str:
    parts = []
    if parameters.get("department"):
        parts.append(key_label("department", parameters["department"], org, locale))
    if parameters.get("product_family"):
        parts.append(key_label("product_family", parameters["product_family"], org, locale))
    return " · ".join(parts)


def _schedule_view(
    review: str, schedule: ReviewSchedule, org: Organization, locale: Locale
) -> dict[str, Any]:
    parameters = schedule.parameters
    zone = ZoneInfo(schedule.timezone)
    return {
        "review": review,
        "id": str(schedule.id),
        "slug": schedule.slug,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "active": schedule.active,
        "period": parameters.get("period", "month"),
        "recipients": [
            org.people[k].name for k in parameters.get("recipients", []) if k in org.people
        ],
        "scope": _scope(parameters, org, locale),
        "next_runs": [format_datetime(m, zone, locale) for m in schedule.next_runs],
        "errors": {},
        "values": {
            "review": review,
            "period": parameters.get("period", "month"),
            "cron": schedule.cron,
            "timezone": schedule.timezone,
            "active": "yes" if schedule.active else "",
            "recipients": list(parameters.get("recipients", [])),
            "department": parameters.get("department") or "",
            "product_family": parameters.get("product_family") or "",
        },
    }


def kept_volumes(db: Session) -> dict[str, Any]:
    """Return how many family-months of units shipped are kept, and the latest month."""
    count, latest = db.execute(
        select(func.count(), func.max(ShippedVolume.month)).select_from(ShippedVolume)
    ).one()
    return {"count": int(count), "latest": latest or ""}


async def _schedules(settings: Settings) -> list[tuple[str, ReviewSchedule]] | None:
    """Return the schedules of both reviews (which review, schedule), or None if Prefect
    cannot be asked."""
    kinds = [
        ("trend", settings.review_deployment),
        ("management", settings.management_review_deployment),
    ]
    found: list[tuple[str, ReviewSchedule]] = []
    try:
        async with connect() as client:
            for review, name in kinds:
                deployment = ReviewDeployment(client, name)
                found += [(review, s) for s in await deployment.schedules(now=utcnow())]
    except Exception as exc:  # Prefect away: the rest of the area still works
        logger.warning("review schedules unavailable: %s", type(exc).__name__)
        return None
    return found


async def dashboard(
    request: Request,
    db: Session,
    org: Organization,
    settings: Settings,
    person: Person,
    *,
    run: Posted | None = None,
    schedule: tuple[str, FormData, dict[str, str]] | None = None,
    classify: Posted | None = None,
    volumes: Posted | None = None,
    management: Posted | None = None,
    action: tuple[dict[str, str], dict[str, str]] | None = None,
) -> HTMLResponse:
    """Render the area for a signed-in quality lead (422 with a form's errors)."""
    locale = locale_of(person)
    reviews = db.scalars(select(Review).order_by(Review.created_at.desc()).limit(LATEST)).all()
    schedules = await _schedules(settings)
    editing_id, editing_form, editing_errors = schedule or ("", None, {})
    views = _schedule_views(schedules or [], org, locale, schedule)
    posted = (run, schedule, classify, volumes, management, action)
    return render_page(
        "reviews",
        locale=locale,
        org=org,
        zone=org.zone_of(person),
        status_code=422 if any(posted) else 200,
        person=person,
        guard=session_guard(request, settings),
        reviews=[
            {"review": r, "scope": _scope(r.filters, org, locale), "files": r.files}
            for r in reviews
        ],
        schedules=views,
        schedules_unavailable=schedules is None,
        new_schedule={
            "values": _values(editing_form) if editing_id == "new" else {},
            "errors": editing_errors if editing_id == "new" else {},
        },
        run_values=_values(run[0]) if run else _asked(request),
        run_errors=run[1] if run else {},
        **_posted("classify", classify),
        volumes_errors=volumes[1] if volumes else {},
        management_reviews=management_reviews(db, org),
        **_posted("management", management),
        **dict(zip(("action_values", "action_errors"), action or ({}, {}), strict=True)),
        volumes_kept=kept_volumes(db),
        **_choices(org),
        done=request.query_params.get("done", ""),
    )


def _schedule_views(
    schedules: list[tuple[str, ReviewSchedule]],
    org: Organization,
    locale: Locale,
    editing: tuple[str, FormData, dict[str, str]] | None,
) -> list[dict[str, Any]]:
    """Return each schedule as shown, the one being edited with what was posted."""
    views = [_schedule_view(kind, s, org, locale) for kind, s in schedules]
    if editing is not None:
        for view in views:
            if view["id"] == editing[0]:
                view["values"], view["errors"] = _values(editing[1]), editing[2]
    return views


def _posted(form: str, posted: Posted | None) -> dict[str, Any]:
    """Return a form's values and errors as posted (none when it was not)."""
    return {
        f"{form}_values": _values(posted[0]) if posted else {},
        f"{form}_errors": posted[1] if posted else {},
    }


def _choices(org: Organization) -> dict[str, Any]:
    """Return what the area's forms offer to choose from, per the organization file."""
    return {
        "categories": list(org.classification.categories.values()),
        "periods": PERIODS,
        "people": sorted(org.people.values(), key=lambda p: p.name),
        "leads": org.quality_leads,
        "departments": list(org.departments.values()),
        "families": list(org.classification.product_families.values()),
        "org_zone": org.timezone,
    }

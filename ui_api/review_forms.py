"""What the reviews area's forms post: a review to run now, or a schedule of them.

Each is checked against the organization file and Prefect's own rules before anything
changes; a problem is named at its field, in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from complaints.i18n import Translator
from complaints.organization import Organization

PERIODS = ("month", "quarter", "year")
# What a schedule runs: the trend analysis, or the management review (ISO 10002 8.6).
REVIEWS = ("trend", "management")
# The months a period's schedule fires in: each month, each quarter's first, January.
MONTHS = {"month": "*", "quarter": "1,4,7,10", "year": "1"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass
class ReviewForm:
    """A checked form: the review's parameters (periods and keys only), or errors."""

    parameters: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    cron: str = ""
    timezone: str = ""
    active: bool = True
    review: str = "trend"


def _recipients(form: FormData, org: Organization, _: Translator, checked: ReviewForm) -> list[str]:
    """Return the recipients posted; name the problem when there are none or strangers."""
    recipients = [str(r) for r in form.getlist("recipients")]
    if not recipients:
        checked.errors["recipients"] = _("review.error.no_recipients")
    strangers = [r for r in recipients if r not in org.people]
    if strangers:
        checked.errors["recipients"] = (
            _("review.error.unknown_recipient") + " " + ", ".join(strangers)
        )
    return recipients


def _scope(form: FormData, org: Organization, _: Translator, checked: ReviewForm) -> None:
    recipients = _recipients(form, org, _, checked)
    department = str(form.get("department") or "") or None
    if department and department not in org.departments:
        checked.errors["department"] = _("review.error.unknown_department")
    family = str(form.get("product_family") or "") or None
    if family and family not in org.classification.product_families:
        checked.errors["product_family"] = _("review.error.unknown_family")
    checked.parameters.update(recipients=recipients, department=department, product_family=family)


def run_form(form: FormData, org: Organization, _: Translator) -> ReviewForm:
    """Check the form that runs a review now."""
    checked = ReviewForm()
    period = str(form.get("period") or "")
    if period not in (*PERIODS, "days"):
        checked.errors["period"] = _("review.error.period")
    days: dict[str, date | None] = {}
    for name in ("first_day", "last_day"):
        raw = str(form.get(name) or "")
        try:
            days[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            checked.errors[name] = _("review.error.date")
            days[name] = None
    first, last = days["first_day"], days["last_day"]
    if period == "days" and not (first and last) and "first_day" not in checked.errors:
        checked.errors["first_day"] = _("review.error.days")
    if first and last and last < first:
        checked.errors["last_day"] = _("review.error.order")
    checked.parameters = {
        "period": period,
        "first_day": first.isoformat() if first else None,
        "last_day": last.isoformat() if last and period == "days" else None,
    }
    _scope(form, org, _, checked)
    return checked


def schedule_form(form: FormData, org: Organization, _: Translator) -> ReviewForm:
    """Check the form that creates or edits a schedule: period, day and time, or a cron
    expression of one's own, in a time zone."""
    review = str(form.get("review") or "trend")
    checked = ReviewForm(active=form.get("active") == "yes", review=review)
    if review not in REVIEWS:
        checked.errors["review"] = _("review.error.review")
    period = str(form.get("period") or "")
    if period not in PERIODS:
        checked.errors["period"] = _("review.error.period")
    timezone = str(form.get("timezone") or "").strip() or org.timezone
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError):
        checked.errors["timezone"] = _("review.error.timezone")
    cron = " ".join(str(form.get("cron") or "").split())
    if not cron:
        day, at = str(form.get("day") or "1"), _TIME.match(str(form.get("time") or "08:00"))
        if not day.isdigit() or not 1 <= int(day) <= 28:
            checked.errors["day"] = _("review.error.day")
        if at is None:
            checked.errors["time"] = _("review.error.time")
        if not checked.errors.keys() & {"day", "time", "period"} and at is not None:
            cron = f"{int(at.group(2))} {int(at.group(1))} {int(day)} {MONTHS[period]} *"
    checked.cron, checked.timezone = cron, timezone
    if review == "management":
        # A management review covers everything; its period only says how often it meets.
        _participants(form, org, _, checked)
        return checked
    checked.parameters = {"period": period}
    _scope(form, org, _, checked)
    return checked


def _participants(form: FormData, org: Organization, _: Translator, checked: ReviewForm) -> None:
    checked.parameters["recipients"] = _recipients(form, org, _, checked)
    chair = str(form.get("chair") or "")
    if chair and chair not in org.people:
        checked.errors["chair"] = _("review.error.unknown_recipient") + " " + chair
    if chair:
        checked.parameters["chair"] = chair


def management_form(form: FormData, org: Organization, _: Translator) -> ReviewForm:
    """Check the form that convenes a management review now: participants, chair and
    in how many days it meets."""
    checked = ReviewForm(review="management")
    _participants(form, org, _, checked)
    days = str(form.get("meeting_in_days") or "7").strip()
    if not days.isdigit() or not 0 <= int(days) <= 60:
        checked.errors["meeting_in_days"] = _("review.error.meeting_in_days")
    else:
        checked.parameters["meeting_in_days"] = int(days)
    return checked

"""The public complaint form (ISO 10002 7.1, 7.2): what a person types, checked field by
field, becomes the same intake the API takes."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from complaints.enums import Channel, Locale
from complaints.intake.schemas import ComplaintIn

# The form's inputs, in the order they are shown (errors are listed in this order too).
FIELDS = (
    "name",
    "email",
    "phone",
    "product",
    "occurred_on",
    "description",
    "requested_remedy",
    "consent",
)
# What a person is told of an email address or phone number the intake refuses (the
# catalogs' message ids).
FIELD_MESSAGES = {
    "email": "enter an email address like name@example.com",
    "phone": "enter a phone number: digits, spaces and + ( ) - . / only",
    "occurred_on": "enter a date that is not in the future",
    "consent": "please agree to the privacy notice to send your complaint",
}
TYPE_MESSAGES = {
    "missing": "answer this",
    "string_too_short": "this cannot be empty",
    "string_too_long": "this is too long",
}


class FormRefused(ValueError):
    """The form's problems, by input name (English texts, the catalogs' message ids)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def intake_from_form(
    fields: dict[str, str], *, locale: Locale, zone: ZoneInfo, now: datetime
) -> ComplaintIn:
    """Return the intake of a filled-in form, or raise FormRefused naming each problem."""
    errors: dict[str, str] = {}
    occurred_at = _occurred_at(fields.get("occurred_on", ""), zone, now, errors)
    if fields.get("consent") != "yes":
        errors["consent"] = FIELD_MESSAGES["consent"]
    data = {
        "complainant": {
            "name": fields.get("name", ""),
            "email": fields.get("email", ""),
            "phone": fields.get("phone") or None,
            "locale": locale,
        },
        "channel": Channel.WEB,
        "product": fields.get("product", ""),
        "description": fields.get("description", ""),
        "requested_remedy": fields.get("requested_remedy", ""),
        "occurred_at": occurred_at,
    }
    try:
        intake = ComplaintIn.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][-1]) if error["loc"] else "form"
            errors.setdefault(name, _message(name, str(error["type"])))
    if errors:
        raise FormRefused({name: errors[name] for name in sorted(errors, key=_order)})
    return intake


def _occurred_at(
    value: str, zone: ZoneInfo, now: datetime, errors: dict[str, str]
) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors["occurred_on"] = FIELD_MESSAGES["occurred_on"]
        return None
    moment = datetime.combine(day, time(12), zone)
    if day > now.astimezone(zone).date():
        errors["occurred_on"] = FIELD_MESSAGES["occurred_on"]
        return None
    return min(moment, now)


def _message(name: str, kind: str) -> str:
    if kind in ("string_too_short", "missing") or name not in FIELD_MESSAGES:
        return TYPE_MESSAGES.get(kind, "this value is not accepted")
    return FIELD_MESSAGES[name]


def _order(name: str) -> int:
    return FIELDS.index(name) if name in FIELDS else len(FIELDS)

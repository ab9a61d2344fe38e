"""From a step page's HTML form to the step's contract, and its errors back to the fields.

What a kind's form posts is read by its spec in the step catalogue (or field by field from
its contract); this module holds the posted fields and names each validation error after
the input it belongs to, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.datastructures import FormData

from complaints.enums import StepKind
from complaints.i18n import Translator
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue import spec_of
from complaints.steps.forms import ROWS, field_by_field


class FormFields:
    """The posted text fields, single- and multi-valued."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def get(self, name: str, default: str = "") -> str:
        for key, value in self._pairs:
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def as_dict(self) -> dict[str, str]:
        """Return the first value of each field (to fill the form in again)."""
        values: dict[str, str] = {}
        for key, value in self._pairs:
            values.setdefault(key, value)
        return values


async def uploaded_files(form: FormData, settings: Settings) -> list[tuple[str, bytes]]:
    """Return the files a form posted as (name as uploaded, bytes). Each is read one byte
    past the limit, so the upload rules can tell a file too large without reading more."""
    return [
        (v.filename or "file", await v.read(settings.upload_max_bytes + 1))
        for k, v in form.multi_items()
        if k == "files" and not isinstance(v, str) and v.filename
    ]


def contract_fields(kind: StepKind, form: FormFields, zone: ZoneInfo) -> dict[str, Any]:
    """Return the contract's fields for what a step's form posted."""
    spec = spec_of(kind)
    if spec.read_form is not None:
        return spec.read_form(form, zone)
    return field_by_field(spec.contract, form, zone, files=spec.uploads_into)


def not_in_organization(
    kind: StepKind, fields: dict[str, Any], org: Organization
) -> dict[str, str]:
    """Return errors for person keys (and the kind's other keys, a category) the
    organization file does not know."""
    errors = spec_of(kind).org_problems(fields, org)
    strangers = [key for key in fields.get("attendees", []) if key not in org.people]
    if strangers:
        errors["attendees"] = f"{UNKNOWN_PEOPLE} {', '.join(strangers)}"
    for items, prefix in ROWS.items():
        for item in fields.get(items, []):
            if item.get("owner") and item["owner"] not in org.people:
                errors[f"{prefix}-{item['row']}-owner"] = "choose an owner from the list"
    return errors


# What a person is told of a value the contract's own types refuse, by pydantic's error
# type: English text that is also the message id of the catalogs (complaints/locales).
TYPE_MESSAGES = {
    "missing": "answer this",
    "string_too_short": "this cannot be empty",
    "string_too_long": "this is too long",
    "too_short": "add at least one",
    "too_long": "there are too many",
    "datetime_parsing": "enter a date and time",
    "datetime_from_date_parsing": "enter a date and time",
    "datetime_type": "enter a date and time",
    "timezone_aware": "enter a date and time",
    "int_parsing": "enter a number in the allowed range",
    "int_from_float": "enter a number in the allowed range",
    "greater_than_equal": "enter a number in the allowed range",
    "less_than_equal": "enter a number in the allowed range",
    "greater_than": "enter a number in the allowed range",
    "less_than": "enter a number in the allowed range",
    "bool_parsing": "choose yes or no",
    "bool_type": "choose yes or no",
    "enum": "choose one of the options",
    "literal_error": "choose one of the options",
    "uuid_parsing": "this file is not known",
}
OTHER_VALUE = "this value is not accepted"
# Person keys the organization file lacks are listed after this text.
UNKNOWN_PEOPLE = "not in the organization file:"


def _message(error: Any) -> str:
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return TYPE_MESSAGES.get(str(error["type"]), OTHER_VALUE)


def field_errors(exc: ValidationError, fields: dict[str, Any]) -> dict[str, str]:
    """Name each validation error after the form input it belongs to (the message is
    English text, the catalogs' message id: pages show it in the reader's language)."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        message = _message(error)
        if not loc:
            # A check across fields names its field: "explanation: explain ...".
            name, sep, rest = message.partition(": ")
            if sep and name.isidentifier():
                messages.setdefault(name, rest)
                continue
            name = "form"
        elif loc[0] in ROWS and len(loc) >= 3:
            # Errors count the kept rows; the form names them by their row number.
            name = f"{ROWS[loc[0]]}-{_row_of(fields.get(loc[0], []), int(loc[1]))}-{loc[2]}"
        elif loc[0] in ROWS:
            name = loc[0]
        elif loc[0] == "analysis" and len(loc) >= 2:
            name = f"analysis-{loc[1]}"
        else:
            name = loc[0]
        messages.setdefault(name, message)
    return messages


def in_language(errors: dict[str, str], _: Translator) -> dict[str, str]:
    """Return errors in the reader's language; a message that lists keys after its text
    ("not in the organization file: x") has its text translated."""
    shown = {}
    for name, message in errors.items():
        if message.startswith(UNKNOWN_PEOPLE):
            shown[name] = _(UNKNOWN_PEOPLE) + message.removeprefix(UNKNOWN_PEOPLE)
        else:
            shown[name] = _(message)
    return shown


def _row_of(measures: list[dict[str, Any]], index: int) -> int:
    return int(measures[index].get("row", index)) if index < len(measures) else index

"""From a step page's HTML form to the step's contract, and its errors back to the fields.

HTML forms post flat strings: yes/no radios, ``datetime-local`` values in the reader's
time zone, repeated rows (``measure-0-owner``). This module turns them into the nested
fields of ``complaints.steps.contracts`` and names each validation error after its input.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from complaints.enums import StepKind
from complaints.i18n import Translator
from complaints.organization import Organization
from complaints.steps.service import RESPONSE_FIELDS

MAX_ROWS = 10
ROW_FIELDS = ("type", "description", "owner", "due_at")
ANALYSIS_FIELDS = ("analyst", "due_at", "scope", "method")
MAX_WHYS = 5
# The repeated rows of a form: the contract's list field -> the rows' name prefix.
ROWS = {"measures": "measure", "actions": "action"}


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


def local_moment(value: str, zone: ZoneInfo) -> datetime | str | None:
    """Read a ``datetime-local`` value as a moment in ``zone`` (bad text is left to fail)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def contract_fields(kind: StepKind, form: FormFields, zone: ZoneInfo) -> dict[str, Any]:
    """Return the contract's fields for what a step's form posted."""
    if kind is StepKind.ASSESSMENT:
        ours = form.get("ours")
        asks = ours == "ask"
        return {
            "question": form.get("question") if asks else "",
            "ours": None if asks or not ours else ours,
            "valid": None if asks else form.get("valid") or None,
            "grade": None if asks else form.get("grade") or None,
            "category": "" if asks else form.get("category") or "",
            "safety_relevant": form.get("safety_relevant") == "yes",
            "immediate_action": form.get("immediate_action"),
            "comment": form.get("comment"),
            "explanation": form.get("explanation") if ours == "no" else "",
            "meeting_at": local_moment(form.get("meeting_at"), zone) if ours == "yes" else None,
            "meeting_minutes": form.get("meeting_minutes") or 60,
            "meeting_location": form.get("meeting_location"),
            "attendees": form.getlist("attendees") if ours == "yes" else [],
        }
    if kind is StepKind.INFO_REQUEST:
        return {"answer": form.get("answer")}
    if kind is StepKind.NOT_OURS_APPROVAL:
        return {
            "approved": form.get("approved") or None,
            "explanation": form.get("explanation"),
            "comment": form.get("comment"),
        }
    if kind is StepKind.CONTAINMENT:
        analysis: dict[str, Any] = {f: form.get(f"analysis-{f}") for f in ANALYSIS_FIELDS}
        analysis["due_at"] = local_moment(analysis["due_at"], zone)
        return {
            "summary": form.get("summary"),
            "measures": _rows(form, "measure", zone),
            "analysis": analysis,
        }
    if kind is StepKind.CAUSE_ANALYSIS:
        whys = [form.get(f"why-{n}") for n in range(1, MAX_WHYS + 1)]
        return {
            "whys": [why for why in whys if why],
            "root_cause": form.get("root_cause"),
            "category": form.get("category") or None,
            "scope": form.get("scope") or None,
            "affected_batches": form.get("affected_batches"),
            "affected_period": form.get("affected_period"),
            "meeting_at": local_moment(form.get("meeting_at"), zone),
            "meeting_minutes": form.get("meeting_minutes") or 60,
            "meeting_location": form.get("meeting_location"),
            "attendees": form.getlist("attendees"),
        }
    if kind is StepKind.ACTION_PLAN:
        return {"summary": form.get("summary"), "actions": _rows(form, "action", zone)}
    if kind is StepKind.RESPONSE:
        return {name: form.get(name) for name in RESPONSE_FIELDS}
    if kind is StepKind.RESPONSE_APPROVAL:
        answer = {name: form.get(name) for name in RESPONSE_FIELDS}
        return {"approved": form.get("approved") or None, **answer, "comment": form.get("comment")}
    if kind is StepKind.RESPONSE_DECISION:
        choice = form.get("answer")
        accepted = {"accept": True, "not_satisfied": False}.get(choice)
        return {"accepted": accepted, "reason": form.get("reason") if choice != "accept" else ""}
    if kind is StepKind.SURVEY:
        return {"score": form.get("score") or None, "comment": form.get("comment")}
    if kind is StepKind.EFFECTIVENESS:
        return {"effective": form.get("effective") or None, "comment": form.get("comment")}
    return {"note": form.get("note")}


def _rows(form: FormFields, prefix: str, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Return the filled rows of a repeated part of a form (empty rows are skipped)."""
    rows = []
    for row in range(MAX_ROWS):
        values = {f: form.get(f"{prefix}-{row}-{f}") for f in ROW_FIELDS}
        if not (values["description"] or values["owner"]):
            continue
        item: dict[str, Any] = {**values, "row": row}  # "row" is ignored by the contract
        item["due_at"] = local_moment(values["due_at"], zone)
        rows.append(item)
    return rows


def not_in_organization(
    kind: StepKind, fields: dict[str, Any], org: Organization
) -> dict[str, str]:
    """Return errors for person keys and categories the organization file does not know."""
    errors: dict[str, str] = {}
    category = fields.get("category")
    if kind is StepKind.ASSESSMENT and category and category not in org.classification.all_keys():
        errors["category"] = "choose a category from the list"
    strangers = [key for key in fields.get("attendees", []) if key not in org.people]
    if strangers:
        errors["attendees"] = f"{UNKNOWN_PEOPLE} {', '.join(strangers)}"
    for items, prefix in ROWS.items():
        for item in fields.get(items, []):
            if item.get("owner") and item["owner"] not in org.people:
                errors[f"{prefix}-{item['row']}-owner"] = "choose an owner from the list"
    if kind is StepKind.CONTAINMENT:
        analyst = fields.get("analysis", {}).get("analyst")
        if analyst and analyst not in org.people:
            errors["analysis-analyst"] = "choose an analyst from the list"
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

"""What the minutes form of a management review posts: up to five decisions in rows (a
row counts once anything is filled in), who attended, the summary and the next review.
Every problem is named at its field, in the reader's language."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from complaints.i18n import Translator
from complaints.management.contracts import ReviewMinutes

ROWS = 5
ROW_FIELDS = ("area", "description", "owner", "due_on")
# The message of each field the contract may refuse.
MESSAGES = {
    "area": "mr.page.error.row",
    "description": "mr.page.error.row",
    "owner": "mr.page.error.row",
    "due_on": "mr.page.error.due",
    "next_review_on": "mr.page.error.next_review",
    "summary": "mr.page.error.summary",
    "attended": "mr.page.error.attended",
    "note": "mr.page.error.note",
}


def minutes_from_form(values: dict[str, Any], _: Translator) -> ReviewMinutes | dict[str, str]:
    """Return the minutes a form posted, or its problems by field."""
    rows = [
        row
        for row in range(1, ROWS + 1)
        if any(str(values.get(f"{name}_{row}", "")).strip() for name in ROW_FIELDS)
    ]
    raw = {
        "attended": values.get("attended", []),
        "summary": values.get("summary", ""),
        "next_review_on": values.get("next_review_on") or None,
        "decisions": [
            {name: values.get(f"{name}_{row}") or None for name in ROW_FIELDS} for row in rows
        ],
    }
    try:
        return ReviewMinutes.model_validate(raw)
    except ValidationError as exc:
        return refusal_errors(exc, _, rows)


def refusal_errors(
    exc: ValidationError, _: Translator, rows: list[int] | None = None
) -> dict[str, str]:
    """Name each refused field (a decision's as ``<field>_<row>``) with its message."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error["loc"]
        if loc and loc[0] == "decisions" and len(loc) >= 3 and rows is not None:
            name, field = str(loc[2]), f"{loc[2]}_{rows[int(loc[1])]}"
        elif loc:
            name = field = str(loc[0])
        else:  # a check across fields names its field first
            name = field = str(error["msg"]).removeprefix("Value error, ").split(":")[0]
        errors.setdefault(field, _(MESSAGES.get(name, "mr.page.error.row")))
    return errors

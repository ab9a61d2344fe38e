"""From a step page's HTML form to the step's contract fields.

HTML forms post flat strings: yes/no radios, ``datetime-local`` values in the reader's
time zone, repeated rows (``measure-0-owner``). A step kind with a plain form is read field
by field from its contract; the others read theirs with these helpers (see the catalogue).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime

from complaints.steps.catalogue.spec import FormReader
from complaints.steps.contracts import StepInput

# Rows a repeated part of a form offers, and the fields of each.
MAX_ROWS = 10
ROW_FIELDS = ("type", "description", "owner", "due_at")
# The contract's list field of a repeated part -> the name prefix of its rows.
ROWS = {"measures": "measure", "actions": "action"}


def local_moment(value: str, zone: ZoneInfo) -> datetime | str | None:
    """Read a ``datetime-local`` value as a moment in ``zone`` (bad text is left to fail)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def rows(form: FormReader, prefix: str, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Return the filled rows of a repeated part of a form (empty rows are skipped)."""
    found = []
    for row in range(MAX_ROWS):
        values = {f: form.get(f"{prefix}-{row}-{f}") for f in ROW_FIELDS}
        if not (values["description"] or values["owner"]):
            continue
        item: dict[str, Any] = {**values, "row": row}  # "row" is ignored by the contract
        item["due_at"] = local_moment(values["due_at"], zone)
        found.append(item)
    return found


def field_by_field(
    contract: type[StepInput], form: FormReader, zone: ZoneInfo, *, files: str | None
) -> dict[str, Any]:
    """Read a plain form: each contract field from the input of its name (an empty one
    left to the contract's default or its "answer this"), times in the reader's zone."""
    values: dict[str, Any] = {}
    for name, info in contract.model_fields.items():
        if name in ("decided_via", files):
            continue
        posted = form.get(name)
        if _is_moment(info.annotation):
            values[name] = local_moment(posted, zone)
        elif info.annotation is str:
            values[name] = posted
        else:  # a choice, a yes/no, a number: nothing chosen is no value
            values[name] = posted or None
    return values


def _is_moment(annotation: Any) -> bool:
    return annotation is AwareDatetime or AwareDatetime in get_args(annotation)

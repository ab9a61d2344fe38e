"""What every step's contract shares: the base input, and checks across fields."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from complaints.enums import DecisionChannel

PersonKey = str
# What the run receives in place of a private field (the flow reads our database).
REDACTED = "(kept in the complaints database)"


def field_error(field: str, message: str) -> ValueError:
    """Return a check across fields that names the field to fix (``field: message``)."""
    return ValueError(f"{field}: {message}")


class StepInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    # Fields that may hold the complainant's personal data: never sent to Prefect.
    private_fields: ClassVar[frozenset[str]] = frozenset()

    # Who resumed the run: the web app says "email_link"; left alone in the Prefect UI.
    decided_via: DecisionChannel = DecisionChannel.PREFECT_UI

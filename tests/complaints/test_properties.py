"""Property-based tests of the domain rules (hypothesis)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from complaints.deadlines.schedule import due_notices
from complaints.intake.schemas import ComplaintIn
from complaints.models import Step
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from complaints.tokens import sign_status, verify_status

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
SECRET = "property-secret"


@given(st.uuids(), st.integers(min_value=0, max_value=42), st.characters(codec="ascii"))
def test_a_status_link_changed_anywhere_is_refused(
    complaint_id: uuid.UUID, position: int, replacement: str
) -> None:
    signed = sign_status(complaint_id, SECRET)
    assert verify_status(signed, SECRET) == complaint_id
    index = position % len(signed)
    if signed[index] != replacement:
        forged = signed[:index] + replacement + signed[index + 1 :]
        assert verify_status(forged, SECRET) != complaint_id


_BASE = {
    "complainant": {"name": "王芳", "email": "wang@example.com"},
    "product": "Kettle",
    "description": "Leaks.",
    "requested_remedy": "Replace it.",
}


@given(st.text(min_size=1, max_size=50), st.sampled_from(["\x00", "\x07", "\x1b", "\x7f"]))
def test_control_characters_never_get_in(text: str, control: str) -> None:
    with pytest.raises(ValidationError):
        ComplaintIn.model_validate({**_BASE, "description": text + control + text})


@given(st.text(alphabet=st.characters(categories=["L", "N", "Zs", "P"]), min_size=1, max_size=80))
def test_any_printable_unicode_product_is_accepted_as_given(product: str) -> None:
    if not product.strip():
        return
    parsed = ComplaintIn.model_validate({**_BASE, "product": product})
    assert parsed.product == product.strip()


@given(st.floats(min_value=-48, max_value=72))
def test_at_most_one_reminder_is_sent_at_a_time_and_escalations_climb(hours: float) -> None:
    opened = datetime(2026, 1, 1, tzinfo=UTC)
    step = Step(key="k", assignee="li-wei", opened_at=opened, due_at=opened + timedelta(hours=24))
    now = step.due_at + timedelta(hours=hours)  # type: ignore[operator]
    notices = due_notices(step, ORG, now, set())
    assert sum(1 for n in notices if n.kind == "reminder") <= 1
    assert all(n.at <= now for n in notices)
    levels = [n.level for n in notices if n.kind == "escalation"]
    assert levels == sorted(levels)

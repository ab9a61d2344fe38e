"""Schema-driven fuzzing of the HTTP API (schemathesis on the app's own OpenAPI).

Whatever the generated input, the API answers without a server error, its responses match
the documented schema, and nothing it stored fails the intake rules.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Complaint
from complaints.schemas import ComplaintIn
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_api_never_fails_and_keeps_its_schema(stack: Stack) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.method.upper() == "POST" for op in operations)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(timeout=10)
            case.validate_response(
                response,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        call()


@pytest.fixture
def stored(stack_sessions: sessionmaker[Session]) -> Iterator[list[Complaint]]:
    with stack_sessions() as session:
        yield list(session.scalars(select(Complaint)))


def test_nothing_stored_breaks_the_intake_rules(stored: list[Complaint]) -> None:
    for complaint in stored:
        ComplaintIn.model_validate(
            {
                "complainant": {
                    "name": complaint.complainant_name,
                    "email": complaint.complainant_email,
                    "phone": complaint.complainant_phone,
                    "locale": complaint.locale,
                },
                "channel": complaint.channel,
                "product": complaint.product,
                "description": complaint.description,
                "requested_remedy": complaint.requested_remedy,
                "occurred_at": complaint.occurred_at,
            }
        )
    assert stored, "the fuzzing stored nothing to check"

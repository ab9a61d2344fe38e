"""Schema-driven fuzzing of the HTTP API (schemathesis on the app's own OpenAPI).

Whatever the generated input, the API answers without a server error, its responses match
the documented schema, and nothing it stored fails the intake rules.

The fuzzer talks to the app in-process, on a database of its own: nothing it files
starts a flow run (no background loop runs), as intake must work without Prefect anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from complaints.db import make_engine
from complaints.intake.schemas import ComplaintIn
from complaints.models import Complaint
from tests.conftest import migrated_database
from tests.web.conftest import WebApp


@pytest.fixture(scope="module")
def fuzz_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the fuzzer's own: what it stores is checked on its own."""
    with migrated_database(backend, Path(tmp_path_factory.mktemp("fuzz"))) as url:
        yield url


@pytest.fixture
def api(make_web: Callable[..., WebApp], fuzz_database: str) -> WebApp:
    web = make_web(database_url=fuzz_database)
    return WebApp(web.app, web.settings, sessionmaker(make_engine(fuzz_database)))


def test_api_never_fails_and_keeps_its_schema(api: WebApp) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
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
            response = case.call()
            case.validate_response(
                response,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        call()
    with api.sessions() as session:
        stored = list(session.scalars(select(Complaint)))
    assert stored, "the fuzzing stored nothing to check"
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

"""Schema-driven fuzzing of the HTTP API (schemathesis on the app's own OpenAPI).

Whatever the generated input, the API answers without a server error, its responses match
the documented schema, and nothing it stored fails the intake rules.

The fuzzer talks to a web app of its own, on a database of its own, whose Prefect server
does not answer: every complaint it manages to file would otherwise start a flow run, and
those runs (a process each) would queue ahead of every later scenario. Intake must work
without Prefect anyway; the runs start when it is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.models import Complaint
from complaints.schemas import ComplaintIn
from tests.conftest import migrated_database
from tests.support.processes import BIN, free_port, start, stop, wait_http
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@dataclass
class FuzzedApi:
    base_url: str
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def api(
    stack: Stack, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzedApi]:
    """The web app on a fresh database of the backend, with no Prefect server to reach."""
    folder = Path(tmp_path_factory.mktemp("fuzz"))
    port = free_port()
    with migrated_database(backend, folder) as url:
        env = stack.env(
            COMPLAINTS_DATABASE_URL=url,
            COMPLAINTS_HTTP_PORT=str(port),
            COMPLAINTS_PUBLIC_URL=f"http://127.0.0.1:{port}",
            PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api",
        )
        process = start(
            [str(BIN / "uvicorn"), "ui_api.main:app", "--host", "127.0.0.1", "--port", str(port)],
            env,
            folder / "web.log",
        )
        engine = make_engine(url)
        try:
            wait_http(f"http://127.0.0.1:{port}/api/health", process)
            yield FuzzedApi(f"http://127.0.0.1:{port}", sessionmaker(engine))
        finally:
            stop(process)
            engine.dispose()


def test_api_never_fails_and_keeps_its_schema(api: FuzzedApi) -> None:
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json")
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
def stored(api: FuzzedApi) -> Iterator[list[Complaint]]:
    with api.sessions() as session:
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

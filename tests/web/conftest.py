"""The web app in-process (``create_app`` behind ``httpx.ASGITransport``), on the domain
tests' database: for behaviour of the web app alone, where a server process adds nothing.

No background loop runs, so nothing talks to Prefect: what these tests file stays
pending, as it would while Prefect is away.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from complaints.settings import PROJECT_DIR, Settings
from tests.support.processes import free_port
from ui_api.app import create_app

BASE_URL = "http://complaints.test"


@dataclass
class WebApp:
    app: FastAPI
    settings: Settings
    sessions: sessionmaker[Session]

    def client(self, **kwargs: Any) -> httpx.Client:
        """A client of the app (synchronous, through the ASGI transport)."""
        return httpx.Client(transport=_SyncASGI(self.app), base_url=BASE_URL, **kwargs)


class _SyncASGI(httpx.BaseTransport):
    """httpx's ASGI transport, driven from synchronous test code."""

    def __init__(self, app: FastAPI) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import anyio

        async def send() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(
                response.status_code, headers=response.headers, content=body, request=request
            )

        return anyio.run(send)


@pytest.fixture
def make_web(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> Callable[..., WebApp]:
    """Build the web app on the domain database, with settings overridden as asked."""

    def build(**overrides: Any) -> WebApp:
        settings = Settings(
            **{
                "database_url": database_url,
                "organization_file": PROJECT_DIR / "samples" / "organization.toml",
                "public_url": BASE_URL,
                "secret_key": "web-test-" + uuid.uuid4().hex,
                "smtp_host": "127.0.0.1",
                "smtp_port": free_port(),
                "upload_dir": tmp_path / "uploads",
                "mailbox_dir": tmp_path / "mailbox",
                **overrides,
            }
        )
        return WebApp(create_app(settings, background=False), settings, sessions)

    return build


@pytest.fixture
def web(make_web: Callable[..., WebApp]) -> Iterator[WebApp]:
    """The web app with the test settings."""
    yield make_web()

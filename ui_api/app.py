"""The web app: intake API, step pages, status pages, the reviews area, development mailbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from complaints import repository
from complaints.db import get_session_factory
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR, Settings, get_settings
from devtools.mailbox import DevMailbox, Maildir
from ui_api.api_keys import KeyGate
from ui_api.background.loop import BackgroundLoop
from ui_api.intake_writer import IntakeWriter
from ui_api.links import add_link_pages
from ui_api.pages import locale_from_request, render_page
from ui_api.ratelimit import FailureLimiter
from ui_api.review_access import NotSignedIn
from ui_api.routes import (
    dev,
    files,
    front_desk,
    intake,
    management,
    operators,
    privacy,
    public,
    review_tasks,
    reviews,
    status,
    steps,
    volumes,
)

# Largest request body; step-link POSTs may carry uploads on top (see _body_limit).
MAX_BODY_BYTES = 256 * 1024
STRICT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The mailbox shows emails (inline styles) in a sandboxed frame.
MAILBOX_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Step links carry a capability: never leak them to another site.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

logger = logging.getLogger("complaints.app")


def create_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    """Build the web app for the given (or the environment's) settings.

    ``background=False`` serves requests only: no loop starts runs or delivers mail and
    no development mailbox listens (tests of the web app alone run it in-process so).
    """
    settings = settings or get_settings()
    load_organization(settings.organization_file)  # fail at start on a broken file
    jobs = BackgroundLoop(settings, get_session_factory(settings.database_url))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not background:
            yield
            return
        mailbox = _start_mailbox(settings)
        stop = asyncio.Event()
        loop_task = asyncio.create_task(jobs.run(stop))
        try:
            yield
        finally:
            stop.set()
            jobs.wake()
            with suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(loop_task, timeout=10)
            if mailbox is not None:
                mailbox.stop()

    app = FastAPI(
        title="Complaints",
        summary="ISO 10002 complaint handling: each complaint runs as a Prefect flow.",
        version="0.1.0",
        lifespan=lifespan,
    )
    _add_state(app, settings, jobs)
    for router in ROUTERS:
        app.include_router(router)
    if settings.dev_mailbox_enabled:
        app.include_router(dev.router)
    app.mount("/static", StaticFiles(directory=PROJECT_DIR / "templates" / "static"), "static")
    _add_middleware(app)
    _add_pages(app)
    add_link_pages(app)
    _add_sign_in_page(app, settings)
    return app


def _add_sign_in_page(app: FastAPI, settings: Settings) -> None:
    """Answer a signed-out visit to the reviews area with its sign-in page."""

    @app.exception_handler(NotSignedIn)
    async def sign_in_first(request: Request, _exc: NotSignedIn) -> HTMLResponse:
        org = load_organization(settings.organization_file)
        locale = locale_from_request(request)
        return render_page("reviews_sign_in", locale=locale, org=org, status_code=401)


# Every page and API of the app (the development mailbox only where it is enabled).
ROUTERS = (
    intake.router,
    steps.router,
    files.router,
    status.router,
    reviews.router,
    review_tasks.router,
    management.router,
    volumes.router,
    public.router,
    front_desk.router,
    privacy.router,
    operators.router,
)


def _add_state(app: FastAPI, settings: Settings, jobs: BackgroundLoop) -> None:
    """Give the app what its routes share: settings, sessions, the background loop, the
    intake writer, the API key gate, the development mailbox and the rate limiters."""
    app.state.settings = settings
    app.state.sessions = get_session_factory(settings.database_url)
    app.state.background = jobs
    app.state.intake_writer = IntakeWriter(app.state.sessions, settings)
    app.state.key_gate = KeyGate(app.state.sessions, settings.secret_key.get_secret_value())
    app.state.mailbox_store = Maildir(settings.mailbox_dir)
    app.state.link_failures = FailureLimiter(
        limit=settings.link_failure_limit, window_seconds=settings.link_failure_window_seconds
    )
    # Every post of the public form counts against its client, for an hour.
    app.state.form_limiter = FailureLimiter(
        limit=settings.form_posts_per_client_per_hour, window_seconds=3600
    )


def _start_mailbox(settings: Settings) -> DevMailbox | None:
    if not settings.dev_mailbox_enabled:
        return None
    host, port = settings.smtp_server
    mailbox = DevMailbox(settings.mailbox_dir, host=host, port=port)
    mailbox.start()
    return mailbox


def _add_middleware(app: FastAPI) -> None:
    app.add_middleware(Guard, settings=app.state.settings)


class Guard:
    """Refuse oversized bodies before they are read; add the security headers.

    Plain ASGI rather than ``@app.middleware("http")``: that wrapper runs every request
    through an extra task and a body stream, a sizeable share of a small request's cost.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        length = request.headers.get("content-length")
        uploads = _carries_uploads(request)
        if uploads and length is None:
            # The limit is enforced on Content-Length alone: a chunked body, which has none,
            # would slip past it with as many files as it liked, so a step form must say.
            await _refuse(scope, receive, send, "Content-Length required", 411)
            return
        limit = _body_limit(self.settings) if uploads else MAX_BODY_BYTES
        if length and (not length.isdigit() or int(length) > limit):
            await _refuse(scope, receive, send, "request body too large", 413)
            return
        headers = dict(SECURITY_HEADERS)
        if request.url.path not in {"/docs", "/redoc"}:
            mailbox = request.url.path.startswith("/dev/mailbox")
            headers["Content-Security-Policy"] = MAILBOX_CSP if mailbox else STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(scope: Scope, receive: Receive, send: Send, detail: str, code: int) -> None:
    response = JSONResponse({"detail": detail}, status_code=code, headers=SECURITY_HEADERS)
    await response(scope, receive, send)


def _carries_uploads(request: Request) -> bool:
    """Whether a request may carry uploaded files (a step link's or a review task link's
    form, the complaint form)."""
    path = request.url.path
    links = path.startswith(("/s/", "/r/"))
    return request.method == "POST" and (links or path == "/complain")


def _body_limit(settings: Settings) -> int:
    """Return the largest body of a step form: every file it may carry, and the fields."""
    return settings.upload_max_files * settings.upload_max_bytes + MAX_BODY_BYTES


def _add_pages(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        settings: Settings = request.app.state.settings
        org = load_organization(settings.organization_file)
        return render_page(
            "home",
            locale=locale_from_request(request),
            org=org,
            mailbox=settings.dev_mailbox_enabled,
        )

    @app.get("/api/health", tags=["health"])
    async def health(request: Request) -> dict[str, object]:
        """Say the app is up, with the counts an operator watches (no personal data)."""
        sessions: sessionmaker[Session] = request.app.state.sessions

        def counts() -> dict[str, int]:
            with sessions() as session:
                return repository.operational_counts(session)

        return {"status": "ok", **await run_in_threadpool(counts)}

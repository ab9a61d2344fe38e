"""The web app: intake API, step pages, status pages, development mailbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from complaints import repository
from complaints.db import get_session_factory
from complaints.dev_mailbox import DevMailbox, Maildir
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR, Settings, get_settings
from ui_api.orchestration import Orchestrator
from ui_api.pages import locale_from_request, render_page
from ui_api.ratelimit import FailureLimiter
from ui_api.routes import dev, files, intake, status, steps

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
    orchestrator = Orchestrator(settings, get_session_factory(settings.database_url))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not background:
            yield
            return
        mailbox = _start_mailbox(settings)
        stop = asyncio.Event()
        loop_task = asyncio.create_task(orchestrator.run(stop))
        try:
            yield
        finally:
            stop.set()
            orchestrator.wake()
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
    app.state.settings = settings
    app.state.sessions = get_session_factory(settings.database_url)
    app.state.orchestrator = orchestrator
    app.state.mailbox_store = Maildir(settings.mailbox_dir)
    app.state.link_failures = FailureLimiter(
        limit=settings.link_failure_limit, window_seconds=settings.link_failure_window_seconds
    )
    app.include_router(intake.router)
    app.include_router(steps.router)
    app.include_router(files.router)
    app.include_router(status.router)
    if settings.dev_mailbox_enabled:
        app.include_router(dev.router)
    app.mount("/static", StaticFiles(directory=PROJECT_DIR / "templates" / "static"), "static")
    _add_middleware(app)
    _add_pages(app)
    return app


def _start_mailbox(settings: Settings) -> DevMailbox | None:
    if not settings.dev_mailbox_enabled:
        return None
    host, port = settings.smtp_server
    mailbox = DevMailbox(settings.mailbox_dir, host=host, port=port)
    mailbox.start()
    return mailbox


def _add_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        uploads = _carries_uploads(request)
        if uploads and length is None:
            # The limit is enforced on Content-Length alone: a chunked body, which has none,
            # would slip past it with as many files as it liked, so a step form must say.
            return JSONResponse({"detail": "Content-Length required"}, status_code=411)
        limit = _body_limit(app.state.settings) if uploads else MAX_BODY_BYTES
        if length and (not length.isdigit() or int(length) > limit):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        is_mailbox = request.url.path.startswith("/dev/mailbox")
        is_docs = request.url.path in {"/docs", "/redoc"}
        if not is_docs:
            response.headers.setdefault(
                "Content-Security-Policy", MAILBOX_CSP if is_mailbox else STRICT_CSP
            )
        return response


def _carries_uploads(request: Request) -> bool:
    """Whether a request may carry uploaded files (a step link's form)."""
    return request.method == "POST" and request.url.path.startswith("/s/")


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
    def health(request: Request) -> dict[str, object]:
        """Say the app is up, with the counts an operator watches (no personal data)."""
        with request.app.state.sessions() as session:
            return {"status": "ok", **repository.operational_counts(session)}

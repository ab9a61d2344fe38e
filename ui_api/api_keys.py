"""The JSON API's gate: once an integration key exists, a complaint needs a valid one.

Whether keys are in force is read at most every few seconds (intake is the hot path); a
presented key is checked against the database every time.
"""

from __future__ import annotations

import time

from fastapi import HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from complaints.intake import api_keys

# How long a process trusts its reading of "are keys in force?" (a key issued or revoked
# takes effect within this long in every web process).
REQUIRED_CACHE_SECONDS = 5.0


class KeyGate:
    """Names who files a complaint through the API: the complainant, or an integration."""

    def __init__(self, sessions: sessionmaker[Session], secret: str) -> None:
        self.sessions = sessions
        self.secret = secret
        self._required: tuple[float, bool] = (0.0, False)

    def filer(self, presented: str) -> str | None:
        """Return who files with this key ('' when none given); None: refused."""
        if presented:
            with self.sessions() as session:
                return api_keys.integration_of(session, presented, self.secret)
        return None if self._keys_required() else "complainant"

    def known_open(self) -> bool:
        """Whether this process read lately that no key is in force (no query needed)."""
        read_at, required = self._required
        return not required and time.monotonic() - read_at <= REQUIRED_CACHE_SECONDS

    def _keys_required(self) -> bool:
        read_at, required = self._required
        if time.monotonic() - read_at > REQUIRED_CACHE_SECONDS:
            with self.sessions() as session:
                required = api_keys.required(session)
            self._required = (time.monotonic(), required)
        return required


async def filer_of(request: Request) -> str:
    """Who files this API request's complaint; 401 without a valid key once keys exist."""
    gate: KeyGate = request.app.state.key_gate
    authorization = request.headers.get("authorization", "")
    presented = request.headers.get("x-api-key") or authorization.removeprefix("Bearer ")
    if not presented and gate.known_open():
        return "complainant"  # the common case costs no thread hop
    filer = await run_in_threadpool(gate.filer, presented.strip())
    if filer is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API key is required (X-API-Key or Authorization: Bearer)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return filer

"""A development mailbox: a real SMTP server (aiosmtpd) that keeps every message it gets.

``make run`` starts it when no ``COMPLAINTS_SMTP_HOST`` is set; the web app shows its
messages at ``/dev/mailbox``; the tests use it to read the emails the system sent.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import mailbox
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class StoredMessage:
    key: str
    message: EmailMessage
    # A stored message never changes: its headers and parts are decoded once (tests and
    # benchmarks read them every few milliseconds while they wait for an email).
    _parts: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @cached_property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def date(self) -> datetime | None:
        raw = self.message["Date"]
        return parsedate_to_datetime(str(raw)) if raw else None

    def part(self, subtype: str) -> str:
        """Return the text of the ``text/<subtype>`` part ('' if there is none)."""
        if subtype not in self._parts:
            body = self.message.get_body(preferencelist=(subtype,))
            self._parts[subtype] = str(body.get_content()) if body is not None else ""
        return self._parts[subtype]

    def html_with_images(self) -> str:
        """Return the HTML part with its inline images (``cid:``) as data URIs, so a
        browser page shows them as a mail client would."""
        html = self.part("html")
        for part in self.message.walk():
            content_id = str(part.get("Content-ID") or "").strip("<>")
            data = part.get_payload(decode=True)
            if content_id and part.get_content_maintype() == "image" and isinstance(data, bytes):
                encoded = base64.b64encode(data).decode()
                uri = f"data:{part.get_content_type()};base64,{encoded}"
                html = html.replace(f"cid:{content_id}", uri)
        return html


class Maildir:
    """Messages kept in a Maildir folder, readable from any process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._box = mailbox.Maildir(str(path), create=True)
        for sub in ("tmp", "new", "cur"):  # create=True skips these if the folder exists
            (path / sub).mkdir(exist_ok=True)
        self._lock = threading.Lock()
        # A stored message never changes: each is parsed once, however often it is listed.
        self._parsed: dict[str, StoredMessage] = {}

    def add(self, raw: bytes) -> str:
        """Store a raw RFC 5322 message."""
        with self._lock:
            return str(self._box.add(raw))

    def messages(self) -> list[StoredMessage]:
        """Return every message, oldest first."""
        stored = [self._parse(str(key)) for key in self._box.iterkeys()]
        return sorted(stored, key=lambda m: _arrival(m.key))

    def _parse(self, key: str) -> StoredMessage:
        known = self._parsed.get(key)
        if known is None:
            with self._box.get_file(key) as handle:
                raw = handle.read()
            message = email.message_from_bytes(raw, policy=email.policy.default)
            known = self._parsed[key] = StoredMessage(key, message)
        return known

    def get(self, key: str) -> StoredMessage | None:
        """Return one message by key."""
        return next((m for m in self.messages() if m.key == key), None)

    def clear(self) -> None:
        """Delete every message."""
        with self._lock:
            self._box.clear()
            self._parsed.clear()


def _arrival(key: str) -> tuple[int, int, str]:
    # Maildir keys start with "<seconds>.M<microseconds>P<pid>...": the order of arrival.
    seconds, _, rest = key.partition(".")
    micros = rest[1:].split("P", 1)[0] if rest.startswith("M") else "0"
    return (int(seconds) if seconds.isdigit() else 0, int(micros) if micros.isdigit() else 0, key)


class _Handler:
    def __init__(self, store: Maildir) -> None:
        self.store = store
        # A slow mail server, for fault tests: one recipient is accepted after a delay.
        self.rcpt_delay = 0.0
        self.slow_recipient = ""
        self.slow_rcpt_seen = threading.Event()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_delay and address == self.slow_recipient:
            self.slow_rcpt_seen.set()
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.store.add(content if isinstance(content, bytes) else content.encode())
        return "250 Message accepted for delivery"


class DevMailbox:
    """The SMTP server and the Maildir it fills."""

    def __init__(self, path: Path, *, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.store = Maildir(path)
        self.host = host
        self.port = port
        self._controller: Controller | None = None
        self.handler = _Handler(self.store)

    def start(self) -> None:
        """Start accepting mail (in a background thread)."""
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port}
        self._controller = Controller(self.handler, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        """Stop accepting mail."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

"""The background job that takes inbound mail: from an IMAP mailbox in production, from a
Maildir (the development mailbox's) otherwise.

A message is recorded first (complaints.mail.inbound, exactly once by its Message-ID) and
only then marked seen at its source, so a restart mid-fetch reads it again and finds it
taken. A source that is down is retried at the next round; nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
from collections.abc import Iterator
from contextlib import suppress
from email.utils import getaddresses
from pathlib import Path
from typing import Protocol

import aioimaplib
from sqlalchemy.orm import Session, sessionmaker

from complaints.mail.inbound import AlreadyTaken, take
from complaints.organization import Organization, load_organization
from complaints.settings import Settings

logger = logging.getLogger("complaints.inbound")


class Source(Protocol):
    async def unread(self) -> list[tuple[str, bytes]]: ...
    async def done(self, key: str) -> None: ...
    async def close(self) -> None: ...


class MaildirSource:
    """Messages to the complaints address in a Maildir (the development mailbox keeps
    every message the system and its tests send; the others are not ours to take)."""

    def __init__(self, path: Path, address: str) -> None:
        self.path = path
        self.address = address.lower()
        self._seen: set[str] = set()  # this process's; the database is the real record

    async def unread(self) -> list[tuple[str, bytes]]:
        return await asyncio.to_thread(lambda: list(self._read()))

    def _read(self) -> Iterator[tuple[str, bytes]]:
        box = mailbox.Maildir(str(self.path), create=False)
        for key in sorted(box.iterkeys()):
            if key in self._seen:
                continue
            message = box.get_message(key)
            recipients = getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
            if any(address.lower() == self.address for _name, address in recipients):
                yield key, message.as_bytes()
            else:
                self._seen.add(key)

    async def done(self, key: str) -> None:
        self._seen.add(key)

    async def close(self) -> None:
        """Nothing to close: the folder is read afresh each round."""


class ImapSource:
    """The unseen messages of an IMAP mailbox (aioimaplib); each flagged \\Seen once taken."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # The connection of the current round: opened by ``unread``, used by ``done``
        # for every message taken, closed by ``close`` (one login per round).
        self._client: aioimaplib.IMAP4 | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def unread(self) -> list[tuple[str, bytes]]:
        await self.close()  # a round left open (it failed midway) is not reused
        client = self._client = await self._connect()
        self._loop = asyncio.get_running_loop()
        _status, lines = await client.uid_search("UNSEEN")
        # "* SEARCH 1 2 3" comes back as b"1 2 3" (b"" when none), then the status.
        uids = [uid for uid in (lines[0] if lines else b"").split() if uid.isdigit()]
        found = []
        for uid in uids:
            _status, data = await client.uid("fetch", uid.decode(), "(BODY.PEEK[])")
            raw = next((bytes(d) for d in data if isinstance(d, bytearray)), b"")
            if raw:
                found.append((uid.decode(), raw))
        return found

    async def done(self, key: str) -> None:
        if self._client is None:
            self._client = await self._connect()
            self._loop = asyncio.get_running_loop()
        await self._client.uid("store", key, "+FLAGS", "(\\Seen)")

    async def close(self) -> None:
        client, self._client = self._client, None
        # A connection of another event loop (a round run with asyncio.run) is dropped:
        # it cannot be spoken to from this one.
        if client is not None and self._loop is asyncio.get_running_loop():
            with suppress(Exception):  # the server gone already, or too slow to say bye
                await asyncio.wait_for(client.logout(), timeout=5)

    async def _connect(self) -> aioimaplib.IMAP4:
        s = self.settings
        host = s.imap_host or "localhost"
        client: aioimaplib.IMAP4 = (
            aioimaplib.IMAP4_SSL(host=host, port=s.imap_port, timeout=30)
            if s.imap_tls
            else aioimaplib.IMAP4(host=host, port=s.imap_port, timeout=30)
        )
        await client.wait_hello_from_server()
        password = s.imap_password.get_secret_value() if s.imap_password else ""
        response = await client.login(s.imap_username or "", password)
        if response.result != "OK":
            raise ConnectionError("IMAP login refused")
        await client.select(s.imap_mailbox)
        return client


def source_of(settings: Settings) -> Source | None:
    """Return where inbound mail is read from (None: nowhere)."""
    if settings.imap_host:
        return ImapSource(settings)
    path = settings.inbound_maildir
    if path is None and settings.dev_mailbox_enabled:
        path = settings.mailbox_dir
    return MaildirSource(path, settings.inbound_address) if path is not None else None


async def take_inbound_mail(
    source: Source, sessions: sessionmaker[Session], settings: Settings
) -> int:
    """Take every unread message of the source (each once); return how many were new."""
    org = load_organization(settings.organization_file)
    new = 0
    try:
        for key, raw in await source.unread():
            with suppress(AlreadyTaken):
                new += await asyncio.to_thread(_take_one, sessions, raw, settings, org)
            await source.done(key)
    finally:
        await source.close()
    return new


def _take_one(
    sessions: sessionmaker[Session], raw: bytes, settings: Settings, org: Organization
) -> int:
    with sessions.begin() as session:
        taken = take(session, raw, org, settings)
    if taken.new:
        logger.info("inbound message taken: %s", taken.outcome)
    return int(taken.new)

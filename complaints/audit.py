"""The append-only, hash-chained audit trail of each complaint."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import EventKind
from complaints.models import Complaint, Event, utcnow

GENESIS = "0" * 64
# Every kind of event the system records (each has a label in the catalogs).
EVENT_KINDS = tuple(kind.value for kind in EventKind)
SYSTEM = "system"


def _digest(event: Event) -> str:
    payload = {
        "complaint_id": str(event.complaint_id),
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor": event.actor,
        "channel": event.channel,
        "client_addr": event.client_addr,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def seal(event: Event) -> str:
    """Set an event's hash from its fields and its predecessor's hash; return it."""
    event.hash = _digest(event)
    return event.hash


def record_event(
    session: Session,
    complaint_id: uuid.UUID,
    kind: EventKind,
    *,
    actor: str = SYSTEM,
    channel: str = SYSTEM,
    data: dict[str, Any] | None = None,
    client_addr: str | None = None,
    at: datetime | None = None,
    first: bool = False,
    flush: bool = True,
) -> Event:
    """Append an event to a complaint's chain.

    ``first``: the complaint was created in this very transaction, so nobody else can
    write to its chain and it has no event yet (intake saves the lock and the read).
    ``flush=False`` leaves the insert to the caller's next flush (many at once).
    """
    last = None
    if not first:
        # Lock the complaint row so that two writers cannot take the same sequence number.
        session.execute(select(Complaint.id).where(Complaint.id == complaint_id).with_for_update())
        last = session.scalars(
            select(Event)
            .where(Event.complaint_id == complaint_id)
            .order_by(Event.seq.desc())
            .limit(1)
        ).first()
    event = Event(
        complaint_id=complaint_id,
        seq=(last.seq + 1) if last else 1,
        at=(at or utcnow()).replace(microsecond=0),
        kind=kind,
        actor=actor,
        channel=channel,
        client_addr=client_addr,
        data=data or {},
        prev_hash=last.hash if last else GENESIS,
    )
    seal(event)
    session.add(event)
    if flush:
        session.flush()
    return event


def first_broken_link(session: Session, complaint_id: uuid.UUID) -> int | None:
    """Return the sequence number of the first event that breaks the chain, or None."""
    prev = GENESIS
    events = session.scalars(
        select(Event).where(Event.complaint_id == complaint_id).order_by(Event.seq)
    )
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or _digest(event) != event.hash:
            return event.seq
        prev = event.hash
    return None

"""The append-only, hash-chained audit trail of each complaint.

Each event's hash covers its predecessor's hash and the salted commitments of its texts
(complaints.seals), so a text can be erased later (a request, or the end of its
retention) while the chain still verifies and shows what was erased, when, by whom, why.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import EventKind
from complaints.models import Complaint, Event, utcnow
from complaints.seals import (
    ACTOR,
    CLIENT_ADDR,
    ERASED,
    canonical,
    committed_view,
    new_seal,
    seal_problem,
    sealable,
    set_data,
)

GENESIS = "0" * 64
# Every kind of event the system records (each has a label in the catalogs).
EVENT_KINDS = tuple(kind.value for kind in EventKind)
SYSTEM = "system"


def _digest(event: Event) -> str:
    actor, client_addr, data = committed_view(
        event.actor, event.client_addr, event.data or {}, event.seals or {}
    )
    payload = {
        "complaint_id": str(event.complaint_id),
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor": actor,
        "channel": event.channel,
        "client_addr": client_addr,
        "data": data,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def seal(event: Event) -> str:
    """Commit to an event's texts (each with a fresh salt) and set its hash; return it."""
    texts = sealable(event.actor, event.client_addr, event.data or {})
    event.seals = {pointer: new_seal(text) for pointer, text in texts.items()}
    event.hash = _digest(event)
    return event.hash


def record_event(
    session: Session,
    complaint_id: uuid.UUID,
    kind: EventKind | str,
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


def erase_texts(event: Event, pointers: list[str], *, erasure_seq: int) -> list[str]:
    """Erase texts of an event (text and salt go, the commitment stays); return those erased.

    ``erasure_seq`` is the chain's ``personal_data.erased`` event that says who, when, why.
    """
    seals = dict(event.seals or {})
    erased = []
    for pointer in pointers:
        seal_of = seals.get(pointer)
        if seal_of is None or "salt" not in seal_of:
            continue
        seals[pointer] = {"digest": seal_of["digest"], "erased": erasure_seq}
        if pointer == ACTOR:
            event.actor = ERASED
        elif pointer == CLIENT_ADDR:
            event.client_addr = None
        else:
            event.data = set_data(event.data, pointer, ERASED)
        erased.append(pointer)
    event.seals = seals
    return erased


def erase(
    session: Session,
    complaint_id: uuid.UUID,
    choose: Callable[[Event], list[str]],
    *,
    by: str,
    reason: str,
    trigger: str,
    at: datetime | None = None,
    always: bool = False,
) -> int:
    """Erase the texts ``choose`` picks from each event of a chain, recorded as one
    ``personal_data.erased`` event (who, when, why, which texts); return how many.

    Unless ``always`` (an erasure of the record besides its trail), nothing is recorded
    when nothing is left to erase, so erasing twice does nothing.
    """
    events = session.scalars(
        select(Event).where(Event.complaint_id == complaint_id).order_by(Event.seq)
    ).all()
    targets: dict[int, list[str]] = {}
    for event in events:
        live = [p for p in choose(event) if "salt" in (event.seals or {}).get(p, {})]
        if live:
            targets[event.seq] = sorted(set(live))
    if not targets and not always:
        return 0
    erasure = record_event(
        session,
        complaint_id,
        EventKind.PERSONAL_DATA_ERASED,
        actor=by,
        data={
            "reason": reason,
            "trigger": trigger,
            "erased": {str(seq): pointers for seq, pointers in targets.items()},
        },
        at=at,
    )
    for event in events:
        if event.seq in targets:
            erase_texts(event, targets[event.seq], erasure_seq=erasure.seq)
    session.flush()
    return sum(len(p) for p in targets.values())


@dataclass(frozen=True)
class Erasure:
    """What an erasure event of a chain says: when, by whom, why, and how many texts."""

    seq: int
    at: datetime
    by: str
    reason: str
    texts: int


def _erasure_lists(event: Event) -> dict[str, list[str]]:
    listed = (event.data or {}).get("erased", {})
    return listed if isinstance(listed, dict) else {}


def _problem(event: Event, erasures: dict[int, Event]) -> str | None:
    problem = seal_problem(event.actor, event.client_addr, event.data or {}, event.seals or {})
    if problem:
        return problem
    for pointer, seal_of in (event.seals or {}).items():
        if "erased" not in seal_of:
            continue
        erasure = erasures.get(seal_of["erased"])
        if erasure is None or erasure.seq <= event.seq:
            return f"erased at {pointer} without an erasure event"
        listed = _erasure_lists(erasure).get(str(event.seq), [])
        # A list whose own texts were erased later cannot be checked against.
        if pointer not in listed and ERASED not in listed:
            return f"erased at {pointer} without an erasure event"
    return None


def first_broken_link(session: Session, complaint_id: uuid.UUID) -> int | None:
    """Return the sequence number of the first event that breaks the chain, or None."""
    events = session.scalars(
        select(Event).where(Event.complaint_id == complaint_id).order_by(Event.seq)
    ).all()
    erasures = {e.seq: e for e in events if e.kind == EventKind.PERSONAL_DATA_ERASED.value}
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or _digest(event) != event.hash:
            return event.seq
        if _problem(event, erasures) is not None:
            return event.seq
        prev = event.hash
    return None


def erasures_of(session: Session, complaint_id: uuid.UUID) -> list[Erasure]:
    """Return the erasures a complaint's chain records, oldest first."""
    events = session.scalars(
        select(Event)
        .where(
            Event.complaint_id == complaint_id,
            Event.kind == EventKind.PERSONAL_DATA_ERASED.value,
        )
        .order_by(Event.seq)
    ).all()
    return [
        Erasure(
            seq=e.seq,
            at=e.at,
            by=e.actor,
            reason=str(e.data.get("reason", "")),
            texts=sum(len(v) for v in _erasure_lists(e).values() if isinstance(v, list)),
        )
        for e in events
    ]

"""The audit chain commits to texts by salted digests: erasing one keeps it verifiable,
tampering is still found, and migration 0019 seals old chains again once verified."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from complaints.audit import GENESIS, erase, erasures_of, first_broken_link, record_event
from complaints.db import make_engine
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.migrate import upgrade
from complaints.models import AuditRehash, Event, UTCDateTime
from complaints.organization import load_organization
from complaints.seals import ERASED
from complaints.settings import PROJECT_DIR
from tests.support.databases import postgres_database
from tests.support.people import complaint_payload

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
ANSWER = "/data/decision/answer"
_TEXTS = (
    "reference",
    "complainant_name",
    "complainant_email",
    "locale",
    "channel",
    "product",
    "description",
    "requested_remedy",
    "department",
    "handler",
    "stage",
    "run_status",
)
_COUNTS = ("clock_paused_seconds", "run_start_attempts", "published_seq")


def _old_hash(row: dict[str, object]) -> str:
    canonical = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chain(sessions: sessionmaker[Session]) -> uuid.UUID:
    with sessions.begin() as session:
        complaint_id = service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG).id
        record_event(
            session,
            complaint_id,
            "step.decided",
            actor="complainant",
            client_addr="203.0.113.7",
            data={"kind": "info_request", "decision": {"answer": "Wang Fang, Room 5", "n": 3}},
        )
        record_event(session, complaint_id, "note.added", actor="li-wei", data={"n": [1, "x"]})
    return complaint_id


def _erase_answer(sessions: sessionmaker[Session], complaint_id: uuid.UUID) -> int:
    def choose(event: Event) -> list[str]:
        return [ANSWER, "/client_addr"] if event.seq == 2 else []

    with sessions.begin() as session:
        return erase(
            session, complaint_id, choose, by="zhang-min", reason="asked", trigger="request"
        )


def test_an_erased_text_is_gone_and_the_chain_still_verifies_and_says_who_and_why(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _chain(sessions)
    assert _erase_answer(sessions, complaint_id) == 2
    assert _erase_answer(sessions, complaint_id) == 0  # twice: nothing more, no event
    with sessions() as session:
        assert first_broken_link(session, complaint_id) is None
        event = session.scalars(
            select(Event).where(Event.complaint_id == complaint_id, Event.seq == 2)
        ).one()
        assert event.data["decision"] == {"answer": ERASED, "n": 3}
        assert event.client_addr is None
        assert "salt" not in event.seals[ANSWER] and event.seals[ANSWER]["erased"] == 4
        assert "Wang Fang" not in json.dumps(event.seals)
        [erasure] = erasures_of(session, complaint_id)
        assert (erasure.seq, erasure.by, erasure.reason, erasure.texts) == (
            4,
            "zhang-min",
            "asked",
            2,
        )


@pytest.mark.parametrize(
    "tamper",
    ["kept text changed", "erased digest changed", "erased without a record", "salt changed"],
)
def test_tampering_is_found_after_an_erasure(sessions: sessionmaker[Session], tamper: str) -> None:
    complaint_id = _chain(sessions)
    _erase_answer(sessions, complaint_id)
    with sessions.begin() as session:
        event = session.scalars(
            select(Event).where(Event.complaint_id == complaint_id, Event.seq == 2)
        ).one()
        seals = {k: dict(v) for k, v in event.seals.items()}
        if tamper == "kept text changed":
            event.data = {**event.data, "kind": "assessment"}
        elif tamper == "erased digest changed":
            seals[ANSWER]["digest"] = "0" * 64
        elif tamper == "erased without a record":
            seals["/data/kind"] = {"digest": seals["/data/kind"]["digest"], "erased": 4}
            event.data = {**event.data, "kind": ERASED}
        else:
            seals["/actor"]["salt"] = "00" * 16
        event.seals = seals
    with sessions() as session:
        assert first_broken_link(session, complaint_id) == 2


def test_a_changed_erasure_record_breaks_the_chain(sessions: sessionmaker[Session]) -> None:
    complaint_id = _chain(sessions)
    _erase_answer(sessions, complaint_id)
    with sessions.begin() as session:
        session.execute(
            update(Event)
            .where(Event.complaint_id == complaint_id, Event.seq == 4)
            .values(actor="somebody-else")
        )
    with sessions() as session:
        assert first_broken_link(session, complaint_id) == 4


_complaints_0014 = sa.table(
    "complaints",
    *(sa.column(name, sa.String) for name in _TEXTS),
    sa.column("id", sa.Uuid),
    sa.column("received_at", UTCDateTime),
    *(sa.column(name, sa.Integer) for name in _COUNTS),
)
_events_0014 = sa.table(
    "events",
    sa.column("complaint_id", sa.Uuid),
    sa.column("seq", sa.Integer),
    sa.column("at", UTCDateTime),
    *(sa.column(name, sa.String) for name in ("kind", "actor", "channel", "client_addr")),
    sa.column("data", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_at_0014(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "0014")
        yield url
        return
    with postgres_database("complaints_migration") as url:
        if url is None:
            pytest.skip("COMPLAINTS_TEST_POSTGRES_URL is not set")
        upgrade(url, "0014")
        yield url
        make_engine(url).dispose()


def _old_chain(db: sa.Connection, *, broken_at: int | None) -> tuple[uuid.UUID, str]:
    """Write a chain as releases before 0019 did; return the complaint and its head."""
    complaint_id = uuid.uuid4()
    texts = {name: "x" for name in _TEXTS} | {
        "reference": f"C-2025-{complaint_id.hex[:6]}",
        "locale": "en",
        "channel": "web",
        "stage": "received",
        "run_status": "pending",
    }
    received = datetime(2025, 3, 1, 8, tzinfo=UTC)
    db.execute(
        sa.insert(_complaints_0014).values(
            id=complaint_id, received_at=received, **texts, **dict.fromkeys(_COUNTS, 0)
        )
    )
    prev = GENESIS
    for seq in (1, 2, 3):
        row = {
            "complaint_id": str(complaint_id),
            "seq": seq,
            "at": received.replace(minute=seq).isoformat(),
            "kind": "step.decided",
            "actor": "complainant",
            "channel": "email_link",
            "client_addr": "198.51.100.4",
            "data": {"decision": {"answer": f"answer {seq}", "score": seq}},
            "prev_hash": prev,
        }
        digest = _old_hash(row)
        stored = {**row, "complaint_id": complaint_id, "at": received.replace(minute=seq)}
        if seq == broken_at:
            stored["data"] = {"decision": {"answer": "changed later", "score": seq}}
        db.execute(sa.insert(_events_0014).values(**stored, hash=digest))
        prev = digest
    return complaint_id, prev


def test_migration_0019_seals_verified_chains_again_and_keeps_their_old_heads(
    database_at_0014: str,
) -> None:
    engine = make_engine(database_at_0014)
    with engine.begin() as db:
        sound, sound_head = _old_chain(db, broken_at=None)
        broken, broken_head = _old_chain(db, broken_at=2)
    upgrade(database_at_0014)
    with Session(engine) as session:
        assert first_broken_link(session, sound) is None
        assert first_broken_link(session, broken) == 1  # left in its old form
        kept = {r.complaint_id: r for r in session.scalars(select(AuditRehash))}
        assert (kept[sound].old_head_seq, kept[sound].old_head_hash) == (3, sound_head)
        assert kept[sound].new_head_hash is not None and kept[sound].broken_at is None
        assert (kept[broken].new_head_hash, kept[broken].broken_at) == (None, 2)
        assert kept[broken].old_head_hash == broken_head
        events = session.scalars(select(Event).where(Event.complaint_id == sound)).all()
        assert all(e.seals for e in events) and events[-1].hash == kept[sound].new_head_hash
    engine.dispose()

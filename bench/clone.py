"""Many open complaints in the state a real run leaves, copied from one that lived.

    from bench.clone import clone_waiting_complaint

Used by ``bench/open_complaints.py`` (PostgreSQL only). A real complaint is filed and
driven by the real stack until it waits at its first step; then its rows are copied,
``count`` times, in both databases:

- ours: the complaint, its steps, link tokens, outbox (sent emails), audit events (each
  copy's chain sealed again, so ``verify-audit`` passes), run execution and run journal;
- Prefect's: its flow run, the run's states, task runs and their states, the run's
  inputs (the suspended step's form) and logs.

Every id of a copied row gets a fresh one, and the complaint's reference a new number,
wherever it appears (columns, JSON, email bodies, the run's name and idempotency key),
so each copy is a complaint of its own that the web app and the worker can resume.
Rows are read and written as PostgreSQL's own text (``COPY``), so every type round-trips
as it was. Prefect's events are not copied: Prefect keeps them for days only and nothing
reads them back. Each copy's step gets a fresh link token, returned for the page
benchmark.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.audit import GENESIS, seal
from complaints.models import Event
from complaints.tokens import hash_token, new_token

# Our tables, each with how its rows of one complaint are found (complaint id: %(c)s,
# flow run id: %(r)s). Events get new integer ids from their sequence.
OURS = [
    ("complaints", "id = %(c)s"),
    ("steps", "complaint_id = %(c)s"),
    ("link_tokens", "step_id IN (SELECT id FROM steps WHERE complaint_id = %(c)s)"),
    ("outbox", "complaint_id = %(c)s"),
    ("events", "complaint_id = %(c)s ORDER BY seq"),
    ("run_executions", "flow_run_id = %(r)s"),
    ("run_journal", "flow_run_id = %(r)s"),
]
PREFECT = [
    ("flow_run", "id = %(r)s"),
    ("flow_run_state", "flow_run_id = %(r)s"),
    ("task_run", "flow_run_id = %(r)s"),
    ("task_run_state", "task_run_id IN (SELECT id FROM task_run WHERE flow_run_id = %(r)s)"),
    ("flow_run_input", "flow_run_id = %(r)s"),
    ("log", "flow_run_id = %(r)s"),
]
SERIAL_COLUMNS = {("events", "id")}
# Ids a copy gets afresh besides every table's own ``id``.
OTHER_IDS = {("run_executions", "execution_id")}


@dataclass
class Template:
    table: str
    columns: list[str]
    rows: list[list[str | None]]


@dataclass
class Copied:
    complaint_ids: list[uuid.UUID] = field(default_factory=list)
    # (reference, link token) of each copy's link to its open step
    links: list[tuple[str, str]] = field(default_factory=list)


def _read(db: psycopg.Connection, table: str, where: str, keys: dict[str, str]) -> Template:
    columns = [
        name
        for (name,) in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        if (table, name) not in SERIAL_COLUMNS
    ]
    as_text = ", ".join(f'"{c}"::text' for c in columns)
    rows = db.execute(f"SELECT {as_text} FROM {table} WHERE {where}", keys).fetchall()
    return Template(table, columns, [list(row) for row in rows])


def _ids(templates: list[Template]) -> set[str]:
    found = set()
    for template in templates:
        for name in ("id", *(c for t, c in OTHER_IDS if t == template.table)):
            if name in template.columns:
                at = template.columns.index(name)
                found.update(row[at] for row in template.rows if row[at] is not None)
    return found


def _write(db: psycopg.Connection, template: Template, rows: Iterator[list[str | None]]) -> None:
    names = ", ".join(f'"{c}"' for c in template.columns)
    with db.cursor().copy(f"COPY {template.table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _sealed_events(
    events: list[Event], complaint_id: uuid.UUID, mapping: dict[str, str]
) -> list[tuple[str, str, str]]:
    """Return (prev_hash, hash, seals as JSON) of each event of the copy, in sequence order."""
    sealed, prev = [], GENESIS
    for event in events:
        copy = Event(
            complaint_id=uuid.UUID(mapping[str(complaint_id)]),
            seq=event.seq,
            at=event.at,
            kind=event.kind,
            actor=event.actor,
            channel=event.channel,
            client_addr=event.client_addr,
            data=json.loads(_replace(json.dumps(event.data), mapping)),
            prev_hash=prev,
        )
        prev = seal(copy)
        sealed.append((copy.prev_hash, prev, json.dumps(copy.seals)))
    return sealed


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _replace(text: str, mapping: dict[str, str]) -> str:
    return _sub(_pattern(mapping), mapping, text)


def _sub(pattern: re.Pattern[str], mapping: dict[str, str], text: str) -> str:
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def _pattern(mapping: dict[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(old) for old in sorted(mapping, key=len, reverse=True)))


def clone_waiting_complaint(
    ours: psycopg.Connection,
    prefect: psycopg.Connection,
    session: Session,
    complaint_id: uuid.UUID,
    count: int,
    secret: str,
    *,
    first_number: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> Copied:
    """Copy a complaint that waits at its first step ``count`` times (see the module)."""
    keys = {"c": str(complaint_id)}
    reference, flow_run_id = ours.execute(
        "SELECT reference, flow_run_id::text FROM complaints WHERE id = %s", (complaint_id,)
    ).fetchone() or (None, None)
    assert reference is not None and flow_run_id is not None, "the template has no run yet"
    keys["r"] = flow_run_id
    our_templates = [_read(ours, table, where, keys) for table, where in OURS]
    prefect_templates = [_read(prefect, table, where, keys) for table, where in PREFECT]
    ids = _ids(our_templates + prefect_templates)
    prefix, _, _number = reference.rpartition("-")
    copied = Copied()
    year = int(prefix.rsplit("-", 1)[-1])
    for start in range(0, count, 500):
        batch = []
        for n in range(start, min(count, start + 500)):
            mapping = {old: str(uuid.uuid4()) for old in ids}
            mapping[reference] = f"{prefix}-{first_number + n:06d}"
            batch.append(mapping)
        _copy_batch(
            (ours, prefect),
            session,
            complaint_id,
            (our_templates, prefect_templates),
            batch,
            secret,
            copied,
        )
        ours.execute(
            "UPDATE reference_counters SET last = GREATEST(last, %s) WHERE year = %s",
            (first_number + len(copied.complaint_ids), year),
        )
        ours.commit()
        prefect.commit()
        if progress:
            progress(len(copied.complaint_ids))
    return copied


def _copy_batch(
    databases: tuple[psycopg.Connection, psycopg.Connection],
    session: Session,
    complaint_id: uuid.UUID,
    templates: tuple[list[Template], list[Template]],
    batch: list[dict[str, str]],
    secret: str,
    copied: Copied,
) -> None:
    patterns = [(mapping, _pattern(mapping)) for mapping in batch]
    reference = next(old for old in batch[0] if not _is_uuid(old))
    events = list(
        session.scalars(select(Event).where(Event.complaint_id == complaint_id).order_by(Event.seq))
    )

    def rows(template: Template) -> Iterator[list[str | None]]:
        for mapping, pattern in patterns:
            sealed = (
                iter(_sealed_events(events, complaint_id, mapping))
                if template.table == "events"
                else None
            )
            for row in template.rows:
                new = [None if v is None else _sub(pattern, mapping, v) for v in row]
                if sealed is not None:
                    prev_hash, hash_, seals = next(sealed)
                    new[template.columns.index("prev_hash")] = prev_hash
                    new[template.columns.index("hash")] = hash_
                    new[template.columns.index("seals")] = seals
                if template.table == "link_tokens":
                    token = new_token()
                    new[template.columns.index("token_hash")] = hash_token(token, secret)
                    copied.links.append((mapping[reference], token))
                yield new

    (ours, prefect), (our_templates, prefect_templates) = databases, templates
    for template in our_templates:
        _write(ours, template, rows(template))
    # A run and its current state refer to each other: foreign keys are checked by
    # triggers, which replica mode leaves out for this transaction (superuser only).
    prefect.execute("SET LOCAL session_replication_role = replica")
    for template in prefect_templates:
        _write(prefect, template, rows(template))
    copied.complaint_ids += [uuid.UUID(m[str(complaint_id)]) for m in batch]

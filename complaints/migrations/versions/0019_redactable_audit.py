"""audit events commit to their texts by salted digests; erasure and export records

Every existing chain is verified in its old form first; a chain that verifies is sealed
again in the new form (each text committed to by its own salted digest), and its old and
new head hashes are kept in ``audit_rehashes``. A chain that does not verify is left as
it was, with where it broke, so ``verify-audit`` goes on reporting it.

Revision ID: 0019
Revises: 0014
Create Date: 2026-12-05 02:00:00
"""

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from complaints.audit import GENESIS, seal
from complaints.models import Event, UTCDateTime

revision: str = "0019"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("complaint_id", sa.Uuid),
    sa.column("seq", sa.Integer),
    sa.column("at", UTCDateTime),
    sa.column("kind", sa.String),
    sa.column("actor", sa.String),
    sa.column("channel", sa.String),
    sa.column("client_addr", sa.String),
    sa.column("data", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("seals", sa.JSON),
)
_rehashes = sa.table(
    "audit_rehashes",
    sa.column("complaint_id", sa.Uuid),
    sa.column("old_head_seq", sa.Integer),
    sa.column("old_head_hash", sa.String),
    sa.column("new_head_hash", sa.String),
    sa.column("broken_at", sa.Integer),
    sa.column("rehashed_at", UTCDateTime),
)


def _old_digest(row: Any) -> str:
    """The hash of an event as releases before 0019 computed it (plain texts)."""
    payload = {
        "complaint_id": str(row.complaint_id),
        "seq": row.seq,
        "at": row.at.isoformat(),
        "kind": row.kind,
        "actor": row.actor,
        "channel": row.channel,
        "client_addr": row.client_addr,
        "data": row.data,
        "prev_hash": row.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _old_break(rows: Sequence[Any]) -> int | None:
    prev = GENESIS
    for expected, row in enumerate(rows, start=1):
        if row.seq != expected or row.prev_hash != prev or _old_digest(row) != row.hash:
            return int(row.seq)
        prev = row.hash
    return None


def _rehash(bind: sa.Connection, complaint_id: uuid.UUID, now: datetime) -> None:
    rows = bind.execute(
        sa.select(_events).where(_events.c.complaint_id == complaint_id).order_by(_events.c.seq)
    ).all()
    broken = _old_break(rows)
    prev, new_head = GENESIS, None
    if broken is None:
        for row in rows:
            event = Event(
                complaint_id=row.complaint_id,
                seq=row.seq,
                at=row.at,
                kind=row.kind,
                actor=row.actor,
                channel=row.channel,
                client_addr=row.client_addr,
                data=row.data or {},
                prev_hash=prev,
            )
            prev = seal(event)
            bind.execute(
                sa.update(_events)
                .where(_events.c.id == row.id)
                .values(seals=event.seals, prev_hash=event.prev_hash, hash=event.hash)
            )
        new_head = prev
    bind.execute(
        sa.insert(_rehashes).values(
            complaint_id=complaint_id,
            old_head_seq=rows[-1].seq,
            old_head_hash=rows[-1].hash,
            new_head_hash=new_head,
            broken_at=broken,
            rehashed_at=now,
        )
    )


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("seals", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "audit_rehashes",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("old_head_seq", sa.Integer(), nullable=False),
        sa.Column("old_head_hash", sa.String(length=64), nullable=False),
        sa.Column("new_head_hash", sa.String(length=64), nullable=True),
        sa.Column("broken_at", sa.Integer(), nullable=True),
        sa.Column("rehashed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_audit_rehashes_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_audit_rehashes")),
    )
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("complaint_ids", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_data_exports_token_hash")),
    )
    op.create_index(op.f("ix_data_exports_expires_at"), "data_exports", ["expires_at"])
    bind = op.get_bind()
    now = datetime.now(UTC)
    chains = bind.execute(sa.select(_events.c.complaint_id).distinct()).scalars().all()
    for complaint_id in chains:
        _rehash(bind, complaint_id, now)


def downgrade() -> None:
    # The events keep their new hashes: texts erased since cannot be hashed the old way,
    # so the code before 0019 would report every chain broken.
    op.drop_index(op.f("ix_data_exports_expires_at"), table_name="data_exports")
    op.drop_table("data_exports")
    op.drop_table("audit_rehashes")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("erased_at")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("seals")

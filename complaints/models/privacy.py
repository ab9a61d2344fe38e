"""Personal data on request and over time: exports, and chains sealed again for redaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from complaints.models.base import Base, UTCDateTime


class AuditRehash(Base):
    """A chain as it was before its events committed to their texts by salted digests:
    its old head, verified before the chain was sealed again (migration 0019)."""

    __tablename__ = "audit_rehashes"

    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    old_head_seq: Mapped[int] = mapped_column(Integer)
    old_head_hash: Mapped[str] = mapped_column(String(64))
    # None: the old chain did not verify (broken at ``broken_at``) and was left as it was.
    new_head_hash: Mapped[str | None] = mapped_column(String(64))
    broken_at: Mapped[int | None] = mapped_column(Integer)
    rehashed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DataExport(Base):
    """Everything held about one complainant, as a ZIP for them (the access right), behind
    a single-use link that expires; only the link's hash is stored."""

    __tablename__ = "data_exports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    complaint_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

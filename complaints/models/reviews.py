"""Trend analyses and management reviews as issued, their files, and the units shipped
they divide by."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints.models.base import Base, UTCDateTime, utcnow


class Review(Base):
    """A trend analysis as it was issued: its period, filters and figures (ISO 10002 8.6
    asks that review records be kept)."""

    __tablename__ = "reviews"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # One review per key (the flow run that made it): a repeated run issues it once.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    period_label: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    files: Mapped[list[ReviewFile]] = relationship(order_by="ReviewFile.filename")


class ReviewFile(Base):
    """A file of a review (its PDF, its CSV, a chart), stored on disk under its id, with
    the hash that shows it unchanged."""

    __tablename__ = "review_files"
    __table_args__ = (UniqueConstraint("review_id", "filename"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class ShippedVolume(Base):
    """Units of a product family shipped in a month (``YYYY-MM``, the organization's
    zone), as a quality lead supplied them: trend analyses divide complaints by them
    into rates per unit (ISO 10002 8.2)."""

    __tablename__ = "shipped_volumes"

    product_family: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

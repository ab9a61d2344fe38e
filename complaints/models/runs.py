"""What our record keeps of flow runs: the acting execution, and finished work a replay takes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from complaints.models.base import Base, UTCDateTime


class RunExecution(Base):
    """The one execution of a flow run that may act: the latest to start.

    A run started again while an old process of it may still be alive (it only looked
    dead) has two executions; the old one finds another id here and stops (fencing).
    """

    __tablename__ = "run_executions"

    flow_run_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JournalEntry(Base):
    """What one finished task of a flow run returned: ids and references only.

    A resumed run executes again from the top; each task it already finished returns
    this instead of running (or being recorded in Prefect) again.
    """

    __tablename__ = "run_journal"

    flow_run_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

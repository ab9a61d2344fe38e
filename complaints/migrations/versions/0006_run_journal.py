"""run journal and executions: replay from our record, fence stale executions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_executions",
        sa.Column("flow_run_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("flow_run_id", name=op.f("pk_run_executions")),
    )
    op.create_table(
        "run_journal",
        sa.Column("flow_run_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("flow_run_id", "key", name=op.f("pk_run_journal")),
    )


def downgrade() -> None:
    op.drop_table("run_journal")
    op.drop_table("run_executions")

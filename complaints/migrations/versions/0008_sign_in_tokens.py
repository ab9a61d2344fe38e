"""sign-in links of the reviews area

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_tokens_token_hash")),
    )
    op.create_index(op.f("ix_sign_in_tokens_person"), "sign_in_tokens", ["person"])


def downgrade() -> None:
    op.drop_table("sign_in_tokens")

"""Program flags: staff report a catalog program as out of date; supervisors resolve the flag.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: nothing to ALTER, so SQLite needs no batch here. The foreign keys are named so a later batch
    # migration (SQLite copies the table to change it) can find them.
    op.create_table(
        "program_flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("program_id", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column(
            "flagged_by",
            sa.Integer,
            sa.ForeignKey("staff_users.id", name="fk_program_flags_flagged_by"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "resolved_by",
            sa.Integer,
            sa.ForeignKey("staff_users.id", name="fk_program_flags_resolved_by"),
            nullable=True,
        ),
    )
    op.create_index("ix_program_flags_program_id", "program_flags", ["program_id"])


def downgrade() -> None:
    op.drop_index("ix_program_flags_program_id", table_name="program_flags")
    op.drop_table("program_flags")

"""Follow-up check-ins: one row per referral and round, claimed before sending; the resident's answer on the referral.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "referral_id",
            sa.Integer,
            sa.ForeignKey("referrals.id", ondelete="CASCADE", name="fk_checkins_referral_id"),
            nullable=False,
        ),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("sender_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("twilio_sid", sa.String(64), nullable=True),
        sa.Column("delivery", sa.String(20), nullable=True),
        sa.Column("delivery_error", sa.String(10), nullable=True),
        sa.Column("delivery_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(1), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        # The guarantee of "at most once per referral per interval": a second claim of a round fails here.
        sa.UniqueConstraint("referral_id", "round", name="uq_checkins_referral_round"),
        sa.UniqueConstraint("twilio_sid", name="uq_checkins_twilio_sid"),
    )
    op.create_index("ix_checkins_referral_id", "checkins", ["referral_id"])
    op.create_index("ix_checkins_sender_id", "checkins", ["sender_id"])
    # SQLite cannot ALTER a table in place: batch mode copies it with the new columns.
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("checkin_answer", sa.String(20), nullable=True))
        batch.add_column(sa.Column("checkin_answer_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("checkin_answer_at")
        batch.drop_column("checkin_answer")
    op.drop_index("ix_checkins_sender_id", table_name="checkins")
    op.drop_index("ix_checkins_referral_id", table_name="checkins")
    op.drop_table("checkins")

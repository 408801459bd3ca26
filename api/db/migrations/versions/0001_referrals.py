"""Referrals and their status history.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(11), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("programs", sa.JSON, nullable=False),
        sa.Column("community_area", sa.String(64), nullable=True),
        sa.Column("first_name", sa.String(64), nullable=True),
        sa.Column("contact_method", sa.String(16), nullable=False),
        sa.Column("contact_encrypted", sa.LargeBinary, nullable=True),
        sa.Column("safe_to_text", sa.Boolean, nullable=False),
        sa.Column("safe_to_call", sa.Boolean, nullable=False),
        sa.Column("safe_times", sa.String(200), nullable=True),
        sa.Column("no_voicemail", sa.Boolean, nullable=False),
        sa.Column("consent_text", sa.Text, nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_scope", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("assignee_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("code", name="uq_referrals_code"),
        sa.UniqueConstraint("idempotency_key", name="uq_referrals_idempotency_key"),
    )
    op.create_index("ix_referrals_conversation_id", "referrals", ["conversation_id"])
    op.create_index("ix_referrals_status", "referrals", ["status"])
    op.create_index("ix_referrals_assignee_id", "referrals", ["assignee_id"])
    op.create_table(
        "referral_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("referral_id", sa.Integer, sa.ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
    )
    op.create_index("ix_referral_events_referral_id", "referral_events", ["referral_id"])


def downgrade() -> None:
    op.drop_index("ix_referral_events_referral_id", table_name="referral_events")
    op.drop_table("referral_events")
    op.drop_index("ix_referrals_assignee_id", table_name="referrals")
    op.drop_index("ix_referrals_status", table_name="referrals")
    op.drop_index("ix_referrals_conversation_id", table_name="referrals")
    op.drop_table("referrals")

"""Hazard reports: residents' reports of lights out, graffiti, vacant lots and buildings, queued for 311 (Open311).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hazard_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(11), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("hazard_type", sa.String(32), nullable=False),
        sa.Column("location_text", sa.String(200), nullable=False),
        sa.Column("community_area", sa.String(64), nullable=True),
        sa.Column("latitude", sa.Float, nullable=True),
        sa.Column("longitude", sa.Float, nullable=True),
        sa.Column("media_url", sa.String(500), nullable=True),
        sa.Column("contact_encrypted", sa.LargeBinary, nullable=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("service_request_id", sa.String(64), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("city_status", sa.String(20), nullable=True),
        sa.Column("city_status_notes", sa.String(500), nullable=True),
        sa.Column("city_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("code", name="uq_hazard_reports_code"),
        sa.UniqueConstraint("idempotency_key", name="uq_hazard_reports_idempotency_key"),
        sa.UniqueConstraint("service_request_id", name="uq_hazard_reports_service_request_id"),
    )
    op.create_index("ix_hazard_reports_conversation_id", "hazard_reports", ["conversation_id"])
    op.create_index("ix_hazard_reports_state", "hazard_reports", ["state"])


def downgrade() -> None:
    op.drop_index("ix_hazard_reports_state", table_name="hazard_reports")
    op.drop_index("ix_hazard_reports_conversation_id", table_name="hazard_reports")
    op.drop_table("hazard_reports")

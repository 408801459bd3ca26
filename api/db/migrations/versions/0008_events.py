"""Community events and safe-space hours: added in the staff console or imported from iCalendar feeds.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: nothing existing is altered, so SQLite needs no batch mode here.
    op.create_table(
        "community_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("title_es", sa.String(200), nullable=True),
        sa.Column("description_en", sa.String(500), nullable=True),
        sa.Column("description_es", sa.String(500), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="event"),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("community_area", sa.Integer, nullable=False),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("latitude", sa.Float, nullable=True),
        sa.Column("longitude", sa.Float, nullable=True),
        sa.Column("audiences", sa.JSON, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("source", sa.String(500), nullable=False, server_default="console"),
        sa.Column("ical_uid", sa.String(255), nullable=True),
        sa.Column("recurrence_id", sa.String(32), nullable=False, server_default=""),
        sa.Column(
            "created_by",
            sa.Integer,
            sa.ForeignKey("staff_users.id", name="fk_community_events_created_by"),
            nullable=True,
        ),
        sa.Column(
            "updated_by",
            sa.Integer,
            sa.ForeignKey("staff_users.id", name="fk_community_events_updated_by"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        # Re-importing a feed updates its occurrences rather than adding them twice.
        sa.UniqueConstraint("source", "ical_uid", "recurrence_id", name="uq_community_events_source_uid_occurrence"),
        sa.CheckConstraint("kind IN ('event', 'safe_space')", name="ck_community_events_kind"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_community_events_ends_after_start"),
        sa.CheckConstraint("community_area BETWEEN 1 AND 77", name="ck_community_events_community_area"),
    )
    op.create_index("ix_community_events_starts_at", "community_events", ["starts_at"])
    op.create_index("ix_community_events_ends_at", "community_events", ["ends_at"])
    op.create_index("ix_community_events_community_area", "community_events", ["community_area"])
    op.create_index("ix_community_events_source", "community_events", ["source"])


def downgrade() -> None:
    op.drop_index("ix_community_events_source", table_name="community_events")
    op.drop_index("ix_community_events_community_area", table_name="community_events")
    op.drop_index("ix_community_events_ends_at", table_name="community_events")
    op.drop_index("ix_community_events_starts_at", table_name="community_events")
    op.drop_table("community_events")

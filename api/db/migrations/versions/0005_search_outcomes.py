"""Search outcomes: whether a resident's search found something good, by day, need, community area and language.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No text, place, point, time of day or id: see api/db/models.py SearchOutcome.
    op.create_table(
        "search_outcomes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("searched_on", sa.Date, nullable=False),
        sa.Column("need", sa.String(64), nullable=False),
        sa.Column("community_area", sa.String(64), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("good", sa.Boolean, nullable=False),
    )
    # In batch mode, which SQLite needs to change a table; adding an index needs no copy, so none is made.
    with op.batch_alter_table("search_outcomes") as batch:
        batch.create_index("ix_search_outcomes_searched_on", ["searched_on"])


def downgrade() -> None:
    with op.batch_alter_table("search_outcomes") as batch:
        batch.drop_index("ix_search_outcomes_searched_on")
    op.drop_table("search_outcomes")

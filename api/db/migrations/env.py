"""Alembic environment: migrations run online against the URL api.db.migrate passes in, in batch mode for SQLite
(which cannot ALTER most things in place)."""

from __future__ import annotations

from alembic import context

from api.db.models import Base
from api.db.session import make_engine

config = context.config
engine = make_engine(config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()

"""The api's database: SQLAlchemy 2 models, engine and sessions, Alembic migrations (batch mode for SQLite)."""

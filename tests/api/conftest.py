"""The api suites' database session: the same migrated SQLite file the session-wide app uses."""

from __future__ import annotations

import pytest

from api.db.session import make_engine, make_sessionmaker


@pytest.fixture
def db(database_settings):
    engine = make_engine(database_settings.database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()

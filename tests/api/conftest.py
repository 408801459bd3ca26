"""The api suites' database session (the migrated SQLite file of the session-wide app), and staff of each role."""

from __future__ import annotations

import pytest

from api.core import security
from api.db.session import make_engine, make_sessionmaker
from tests.api.factories import PASSWORD, new_user, sign_in


@pytest.fixture
def db(database_settings):
    engine = make_engine(database_settings.database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


SERVICE = "service-token-for-staff-tests"


@pytest.fixture
def people(client, db, monkeypatch):
    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", SERVICE)
    security.security_settings.cache_clear()
    users = {
        role: new_user(db, role=role.split("-")[0]) for role in ("outreach", "outreach-other", "supervisor", "admin")
    }
    headers = {
        name: {"Authorization": f"Bearer {sign_in(client, user.email, PASSWORD).json()['access_token']}"}
        for name, user in users.items()
    }
    headers["anonymous"] = {}
    headers["service"] = {"Authorization": f"Bearer {SERVICE}"}
    yield users, headers
    security.security_settings.cache_clear()

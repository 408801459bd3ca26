"""The api suites' database session and staff of each role, on the app's database: a test using `db` or `people` runs
once per backend (SQLite, PostgreSQL; see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from api.core import security
from api.crud import staff
from api.db.session import make_engine, make_sessionmaker
from tests.api.factories import PASSWORD, new_user, sign_in
from tests.conftest import postgres_schema


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes() -> Iterator[None]:
    """Argon2id at its lowest cost in these suites. The production cost (64 MiB, 3 passes: about half a second per
    hash or check) is there to slow attackers; here it would only slow `people`, which hashes and checks four
    passwords per test, on each backend. Hashes stay argon2id and are checked the same way."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        staff.dummy_hash.cache_clear()
        yield
    staff.dummy_hash.cache_clear()


@pytest.fixture
def db(database_settings):
    """A session on the same database as `client`'s app."""
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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL of an empty database on each backend, for migration tests that upgrade step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'navigator.db'}"
        return
    with postgres_schema() as url:
        yield url

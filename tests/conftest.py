"""Shared fixtures: the real embedding model, loaded once, and the api app over a real Qdrant local store.

The referrals database behind the app is one backend at a time, chosen by the session-scoped `backend` fixture. A test
that uses the database (it requests `database_settings`, `db` or `people`, directly or through another fixture) runs
once per backend, `[sqlite]` and `[postgresql]`, each migrated from empty; every other test (search, chat) runs once,
on SQLite. PostgreSQL is the server on 127.0.0.1:5432, database `test`, in a schema of its own dropped afterwards; its
runs are skipped only when nothing listens there.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.core.contact_box import new_key
from api.core.settings import AuthSettings, DatabaseSettings
from knowledge.embedding import load_model
from knowledge.search import Searcher
from knowledge.settings import SearchSettings
from tests.open311_standin import SERVICES, Open311StandIn
from tests.stack import NeutralSite, Replicas, Running, Stack, StackFailed, extra_bot, scaled_env
from tests.twilio_standin import ACCOUNT_SID, TwilioStandIn

ROOT = Path(__file__).resolve().parents[1]

# tests/rasa needs Rasa, which lives in .venv-bot (Python 3.10); `make test` runs it there with --confcutdir.
collect_ignore = ["rasa"]


def shared_dir() -> Path:
    """The shared facts and evaluation sets: beside the clone in CI and on developer machines."""
    return Path(os.environ.get("NAVIGATOR_SHARED_DIR") or ROOT.parent / "shared")


def eval_dir() -> Path:
    return shared_dir() / "eval"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session", autouse=True)
def logs_hold_no_resident_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole run (this is torn down last, once every process has stopped and written its log): no phone
    number and no resident's message in any log the run's processes wrote."""
    yield
    from tests.privacy import leaks_in

    leaks = leaks_in(tmp_path_factory.getbasetemp())
    assert leaks == [], "\n".join(leaks[:20])


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture(scope="session")
def search_settings(tmp_path_factory: pytest.TempPathFactory) -> SearchSettings:
    return SearchSettings(qdrant_path=tmp_path_factory.mktemp("qdrant"), qdrant_url=None)


BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Requesting one of these (directly or through another fixture) runs a test on every backend. `client` alone does not:
# it depends on `migrated_database`, not on `database_settings`, so search and chat tests run once.
DATABASE_FIXTURES = {"database_settings"}


def postgres_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if DATABASE_FIXTURES & set(metafunc.fixturenames):
        # Session scope: pytest groups the tests by backend, so the app is reopened only where the backend changes
        # (a few times a run, about a second each: the model stays loaded and the Qdrant index is reused).
        metafunc.parametrize("backend", BACKENDS, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend: a database test's parameter, "sqlite" or "postgresql"; SQLite for the others."""
    return getattr(request, "param", "sqlite")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL of the PostgreSQL database `test` confined to a new, empty schema, dropped afterwards."""
    from api.db.session import make_engine

    if not postgres_up():
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    schema = f"nav_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseSettings]:
    """The backend's database, migrated from empty; what the app uses. Tests ask for `database_settings`."""
    from api.db.migrate import upgrade

    with ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(postgres_schema())
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'navigator.db'}"
        upgrade(url)
        yield DatabaseSettings(database_url=url, referral_contact_key=new_key())


@pytest.fixture(scope="session")
def database_settings(migrated_database: DatabaseSettings) -> DatabaseSettings:
    """The app's referrals database; requesting it runs the test on every backend."""
    return migrated_database


@pytest.fixture(scope="session")
def client(search_settings: SearchSettings, model, migrated_database: DatabaseSettings) -> Iterator[TestClient]:
    """The app over the backend's database. Only one app is open at a time: pytest closes the previous backend's
    before opening the next, so both can use the one Qdrant folder (which admits one client) and its index."""
    from api.core import security
    from api.main import create_app

    auth = AuthSettings(auth_secret=secrets.token_urlsafe(32), token_minutes=15, login_rate_limit="5/minute")
    app = create_app(search_settings, model=model, database_settings=migrated_database, auth_settings=auth)
    # Every suite's requests come from one test address: the per-address cap is tested on its own
    # (tests/api/test_public_limits.py), not hit by accident by a suite that searches a lot.
    with pytest.MonkeyPatch.context() as patch, TestClient(app) as test_client:
        patch.setenv("NAVIGATOR_PUBLIC_RATE_LIMIT", "100000/minute")
        security.security_settings.cache_clear()
        yield test_client
    security.security_settings.cache_clear()


# The key the running stack's api files hazard reports with, and the stand-in's code for each hazard type.
OPEN311_API_KEY = "open311-key-" + uuid.uuid4().hex
OPEN311_CODES = {"street_light": SERVICES[0]["service_code"], "alley_light": SERVICES[1]["service_code"],
                 "graffiti": SERVICES[2]["service_code"], "vacant_lot": SERVICES[3]["service_code"],
                 "abandoned_building": SERVICES[4]["service_code"],
                 "other_safety": SERVICES[5]["service_code"]}  # fmt: skip


@pytest.fixture(scope="session")
def open311() -> Iterator[Open311StandIn]:
    """The city's 311 (Open311 GeoReport v2), stood in locally: where the running stack files hazard reports."""
    with Open311StandIn(OPEN311_API_KEY) as city:
        yield city


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory, open311: Open311StandIn) -> Iterator[Running]:
    """api, actions and bot as `make run` starts them, with the SMS channel configured for tests/sms_client.py,
    Quick exit pointing at a local neutral page and hazard reports filed with the Open311 stand-in; started once, for
    every test that needs the whole stack."""
    from tests.sms_client import SMS_ENV

    city = {
        "NAVIGATOR_OPEN311_URL": open311.url,
        "NAVIGATOR_OPEN311_API_KEY": OPEN311_API_KEY,
        "NAVIGATOR_OPEN311_SERVICE_CODES": json.dumps(OPEN311_CODES),
    }
    with NeutralSite() as neutral:
        overrides = {**SMS_ENV, **city, "NAVIGATOR_QUICK_EXIT_URL": f"{neutral.url}/weather.html"}
        try:
            stack = Stack(tmp_path_factory.mktemp("navigator"), overrides=overrides).__enter__()
        except StackFailed as exc:
            pytest.fail(str(exc))
        try:
            yield Running(stack, neutral.url)
        finally:
            stack.__exit__(None, None, None)


@pytest.fixture(scope="session")
def tracker_db() -> Iterator[str]:
    """A PostgreSQL database of its own for the scaled bots' conversations and SMS state."""
    from tests.stack import scratch_database

    with scratch_database() as name:
        yield name


@pytest.fixture(scope="session")
def twilio() -> Iterator[TwilioStandIn]:
    """Twilio's REST API, stood in locally: where the scaled bots send replies that miss the webhook deadline."""
    from tests.sms_client import TOKEN

    with TwilioStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture(scope="session")
def replicas(tmp_path_factory: pytest.TempPathFactory, tracker_db: str, twilio: TwilioStandIn) -> Iterator[Replicas]:
    """Two bot processes (a Stack's and another) sharing one PostgreSQL tracker store and one Redis lock store, as
    production runs them behind a load balancer; started once for the scale-out and load tests (minutes on 2 cores).
    """
    from tests.sms_client import SMS_ENV

    late_replies = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "NAVIGATOR_TWILIO_API_URL": twilio.url}
    overrides = {**SMS_ENV, **late_replies, **scaled_env(tracker_db, redis_db=random.randint(2, 15))}
    try:
        with Stack(tmp_path_factory.mktemp("scaled"), overrides=overrides) as stack, extra_bot(stack) as second:
            yield Replicas([stack.bot_url, second], stack)
    except StackFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def searcher(client: TestClient) -> Searcher:
    # The app's own searcher: Qdrant local mode lets one client hold the folder.
    return client.app.state.searcher  # type: ignore[attr-defined]

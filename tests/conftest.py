"""Shared fixtures: the real embedding model, loaded once, and one api app over a real Qdrant local store."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.core.contact_box import new_key
from api.core.settings import AuthSettings, DatabaseSettings
from knowledge.embedding import load_model
from knowledge.search import Searcher
from knowledge.settings import SearchSettings
from tests.stack import NeutralSite, Running, Stack, StackFailed

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


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture(scope="session")
def search_settings(tmp_path_factory: pytest.TempPathFactory) -> SearchSettings:
    return SearchSettings(qdrant_path=tmp_path_factory.mktemp("qdrant"), qdrant_url=None)


@pytest.fixture(scope="session")
def database_settings(tmp_path_factory: pytest.TempPathFactory) -> DatabaseSettings:
    from api.db.migrate import upgrade

    settings = DatabaseSettings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('db') / 'navigator.db'}",
        referral_contact_key=new_key(),
    )
    upgrade(settings.database_url)
    return settings


@pytest.fixture(scope="session")
def client(search_settings: SearchSettings, model, database_settings: DatabaseSettings) -> Iterator[TestClient]:
    from api.main import create_app

    auth = AuthSettings(auth_secret=secrets.token_urlsafe(32), token_minutes=15, login_rate_limit="5/minute")
    app = create_app(search_settings, model=model, database_settings=database_settings, auth_settings=auth)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """api, actions and bot as `make run` starts them, with the SMS channel configured for tests/sms_client.py and
    Quick exit pointing at a local neutral page; started once, for every test that needs the whole stack."""
    from tests.sms_client import SMS_ENV

    with NeutralSite() as neutral:
        overrides = {**SMS_ENV, "NAVIGATOR_QUICK_EXIT_URL": f"{neutral.url}/weather.html"}
        try:
            stack = Stack(tmp_path_factory.mktemp("navigator"), overrides=overrides).__enter__()
        except StackFailed as exc:
            pytest.fail(str(exc))
        try:
            yield Running(stack, neutral.url)
        finally:
            stack.__exit__(None, None, None)


@pytest.fixture(scope="session")
def searcher(client: TestClient) -> Searcher:
    # The app's own searcher: Qdrant local mode lets one client hold the folder.
    return client.app.state.searcher  # type: ignore[attr-defined]

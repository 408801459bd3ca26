"""Tests run with the bot's environment (.venv-bot, Python 3.10, Rasa 3.6): `make test` runs them separately."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def api(api_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The actions pointed at the test module's api (its `api_url` fixture: a real api process with its own data)."""
    from actions import settings as actions_settings

    monkeypatch.setenv("NAVIGATOR_API_URL", api_url)
    actions_settings.get_settings.cache_clear()
    yield api_url
    actions_settings.get_settings.cache_clear()

"""The public program endpoints are capped per client address; the action server's service token is not."""

from __future__ import annotations

import pytest

from api.core import security


@pytest.fixture
def capped(client, monkeypatch):
    monkeypatch.setenv("NAVIGATOR_PUBLIC_RATE_LIMIT", "3/minute")
    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", "service-token-for-limit-tests")
    security.security_settings.cache_clear()
    # earlier tests' requests from the same test address; the storage is async, on the app's own loop
    client.portal.call(client.app.state.public_limiter.storage.reset)
    yield client
    security.security_settings.cache_clear()
    client.portal.call(client.app.state.public_limiter.storage.reset)


def test_a_client_over_the_cap_is_told_to_wait_and_the_action_server_is_not_capped(capped):
    answers = [capped.get("/api/v1/programs/search", params={"q": "food"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    refused = capped.get("/api/v1/programs", params={"limit": 1})  # one cap for search and directory
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "wait" in refused.json()["detail"]
    service = {"Authorization": "Bearer service-token-for-limit-tests"}
    assert all(
        capped.get("/api/v1/programs/search", params={"q": "rent"}, headers=service).status_code == 200
        for _ in range(5)
    )


def test_a_malformed_limit_is_refused_at_start_with_a_clear_message(monkeypatch):
    from pydantic import ValidationError

    from api.core.settings import SecuritySettings

    monkeypatch.setenv("NAVIGATOR_PUBLIC_RATE_LIMIT", "lots")
    with pytest.raises(ValidationError, match="not a rate limit"):
        SecuritySettings()

"""GET /metrics: who may scrape it, and what the counters and the referral gauge say after real requests.

The app is shared by the whole session, so counters are compared before and after, never as absolute numbers.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.core import security
from tests.api.factories import assign, new_referral, referral_request

TOKEN = "metrics-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SEARCH = "/api/v1/programs/search"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_token(monkeypatch):
    monkeypatch.setenv("NAVIGATOR_METRICS_TOKEN", TOKEN)
    security.security_settings.cache_clear()
    yield TOKEN
    security.security_settings.cache_clear()


@pytest.fixture
def scrape(client, metrics_token):
    def read() -> dict[tuple[str, frozenset], float]:
        response = client.get("/metrics", headers=BEARER)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return samples(response.text)

    return read


@pytest.fixture
def no_metrics_token(monkeypatch):
    monkeypatch.setenv("NAVIGATOR_METRICS_TOKEN", "")
    security.security_settings.cache_clear()
    yield
    security.security_settings.cache_clear()


# -- who may scrape --------------------------------------------------------------------------------------------


def test_with_a_token_set_a_scrape_must_send_it(client, metrics_token):
    assert client.get("/metrics", headers=BEARER).status_code == 200
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # A staff or service token is not a metrics token.
    assert client.get("/metrics", headers={"Authorization": "Bearer x" + TOKEN}).status_code == 401


def from_address(client, host: str, port: int) -> TestClient:
    """A client at another address, sending on the app's own event loop (see tests/api/test_console.py browser)."""
    other = TestClient(client.app, client=(host, port))
    other.portal = client.portal
    return other


def test_with_a_token_set_loopback_is_not_enough(client, metrics_token):
    local = from_address(client, "127.0.0.1", 40000)
    assert local.get("/metrics").status_code == 401
    assert local.get("/metrics", headers=BEARER).status_code == 200


def test_without_a_token_only_loopback_clients_are_answered(client, no_metrics_token):
    assert client.get("/metrics").status_code == 403  # TestClient's host is "testclient", not the loopback
    assert from_address(client, "203.0.113.9", 40000).get("/metrics").status_code == 403
    for host in ("127.0.0.1", "::1"):
        local = from_address(client, host, 40000)
        response = local.get("/metrics")
        assert response.status_code == 200, host
        assert "navigator_http_requests_total" in response.text


# -- HTTP requests -----------------------------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_method_and_status(client, scrape, searcher):
    program_id = next(iter(searcher.programs))
    route = "/api/v1/programs/{program_id}"
    before = scrape()
    assert client.get(f"/api/v1/programs/{program_id}").status_code == 200
    assert client.get("/api/v1/programs/no-such-program").status_code == 404
    after = scrape()
    for status in ("200", "404"):
        assert value(after, "navigator_http_requests_total", method="GET", route=route, status=status) == (
            value(before, "navigator_http_requests_total", method="GET", route=route, status=status) + 1
        )
    count = "navigator_http_request_duration_seconds_count"
    assert value(after, count, method="GET", route=route) == value(before, count, method="GET", route=route) + 2
    text = client.get("/metrics", headers=BEARER).text
    assert program_id not in text and "no-such-program" not in text


def test_unknown_paths_share_one_label(client, scrape):
    before = scrape()
    assert client.get("/wp-admin/secret-path-123").status_code == 404
    after = scrape()
    label = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(after, "navigator_http_requests_total", **label) == (
        value(before, "navigator_http_requests_total", **label) + 1
    )
    assert "secret-path-123" not in client.get("/metrics", headers=BEARER).text


# -- searches ----------------------------------------------------------------------------------------------------


def search_counts(scraped: dict, lang: str) -> tuple[float, float]:
    return (
        value(scraped, "navigator_searches_total", lang=lang),
        value(scraped, "navigator_searches_without_good_result_total", lang=lang),
    )


def test_a_search_with_a_good_result_counts_as_a_search_only(client, scrape):
    before = search_counts(scrape(), "en")
    response = client.get(SEARCH, params={"q": "food pantry groceries", "lang": "en"})
    assert response.status_code == 200 and response.json()["results"]
    after = search_counts(scrape(), "en")
    assert after == (before[0] + 1, before[1])


def test_a_search_found_by_meaning_alone_has_no_good_result(client, scrape):
    before = search_counts(scrape(), "en")
    response = client.get(SEARCH, params={"q": "zqxvbl wrtpfk", "lang": "en"})
    # Dense retrieval always answers something, but nothing in it shares a word with the query.
    assert response.status_code == 200 and response.json()["results"]
    after = search_counts(scrape(), "en")
    assert after == (before[0] + 1, before[1] + 1)


def test_a_search_with_no_result_has_no_good_result_and_the_query_is_no_label(client, scrape):
    before = search_counts(scrape(), "es")
    # No program serves in language "zz": zero results.
    response = client.get(SEARCH, params={"q": "necesito comida zqxv", "lang": "es", "language": "zz"})
    assert response.status_code == 200 and response.json()["results"] == []
    after = search_counts(scrape(), "es")
    assert after == (before[0] + 1, before[1] + 1)
    assert "zqxv" not in client.get("/metrics", headers=BEARER).text


def test_a_spanish_search_matched_through_the_lexicon_is_good(client, scrape):
    before = search_counts(scrape(), "es")
    response = client.get(SEARCH, params={"q": "necesito comida para mis hijos", "lang": "es"})
    assert response.status_code == 200 and response.json()["results"]
    after = search_counts(scrape(), "es")
    assert after == (before[0] + 1, before[1])


# -- referrals ---------------------------------------------------------------------------------------------------


def test_referral_gauge_by_status_and_created_counter(client, people, scrape):
    users, headers = people
    before = scrape()
    codes = [new_referral(client, headers), new_referral(client, headers, channel="sms")]
    # A retry of the same Idempotency-Key is the same referral: not counted again.
    body = referral_request().model_dump(mode="json")
    key = uuid.uuid4().hex
    for expected in (201, 200):
        answer = client.post("/api/v1/referrals", json=body, headers={**headers["service"], "Idempotency-Key": key})
        assert answer.status_code == expected
    assert assign(client, headers, codes[0], users["outreach"]).status_code == 200
    after = scrape()
    gauge = "navigator_referrals"
    assert value(after, gauge, status="new") == value(before, gauge, status="new") + 2
    assert value(after, gauge, status="assigned") == value(before, gauge, status="assigned") + 1
    # Every status is exported, with 0 where there is none.
    assert {"new", "assigned", "contacted", "connected", "closed"} <= {
        dict(labels)["status"] for name, labels in after if name == gauge
    }
    created = "navigator_referrals_created_total"
    assert value(after, created, channel="web") == value(before, created, channel="web") + 2
    assert value(after, created, channel="sms") == value(before, created, channel="sms") + 1
    text = client.get("/metrics", headers=BEARER).text
    assert not any(code in text for code in codes)
    route = "/api/v1/referrals/{code}/assign"
    assert value(after, "navigator_http_requests_total", method="POST", route=route, status="200") >= 1


def test_conversation_routes_are_labelled_by_template_not_by_the_hashed_number(client, people, scrape):
    _, headers = people
    conversation = "sms-" + uuid.uuid4().hex
    assert client.get(f"/api/v1/conversations/{conversation}/referrals", headers=headers["service"]).status_code == 200
    after = scrape()
    route = "/api/v1/conversations/{conversation_id}/referrals"
    assert value(after, "navigator_http_requests_total", method="GET", route=route, status="200") >= 1
    assert conversation not in client.get("/metrics", headers=BEARER).text

"""POST /api/v1/referrals: the action server only, once per Idempotency-Key, the SMS number opened only here."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from api.core import security
from api.core.contact_box import decrypt
from api.core.contact_seal import new_keypair
from api.db.session import make_engine
from tests.api.factories import referral_request

TOKEN = "service-token-for-tests"
PRIVATE, PUBLIC = new_keypair()


@pytest.fixture
def service(monkeypatch):
    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", TOKEN)
    monkeypatch.setenv("NAVIGATOR_CONTACT_PRIVATE_KEY", PRIVATE)
    security.security_settings.cache_clear()
    yield {"Authorization": f"Bearer {TOKEN}"}
    security.security_settings.cache_clear()


def post(client, headers, body=None, key=None):
    body = body or referral_request().model_dump(mode="json")
    return client.post("/api/v1/referrals", json=body, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})


def count(database_settings) -> int:
    engine = make_engine(database_settings.database_url)
    with engine.connect() as conn:
        n = conn.execute(text("select count(*) from referrals")).scalar_one()
    engine.dispose()
    return n


def test_only_the_action_server_may_create_referrals(client, service, database_settings):
    before = count(database_settings)
    assert post(client, {}).status_code == 403  # a resident's browser carries no token
    assert post(client, {"Authorization": "Bearer wrong"}).status_code == 401
    assert count(database_settings) == before


def test_five_tries_with_one_key_make_one_referral(client, service, database_settings):
    before = count(database_settings)
    body, key = referral_request().model_dump(mode="json"), uuid.uuid4().hex
    answers = [post(client, service, body, key) for _ in range(5)]
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200]
    assert len({a.json()["code"] for a in answers}) == 1 and answers[0].json()["status"] == "new"
    assert count(database_settings) == before + 1
    other = {**body, "needs": ["housing"]}
    assert post(client, service, other, key).status_code == 409


def test_an_sms_referral_opens_the_sealed_number_and_stores_it_encrypted(client, service, database_settings):
    from bot.channels.privacy import seal

    body = referral_request(channel="sms", contact=None, sealed_contact=seal("+13125550177", PUBLIC))
    answer = post(client, service, body.model_dump(mode="json"))
    assert answer.status_code == 201
    engine = make_engine(database_settings.database_url)
    with engine.connect() as conn:
        raw = conn.execute(
            text("select contact_encrypted from referrals where code = :c"), {"c": answer.json()["code"]}
        ).scalar_one()
    engine.dispose()
    assert b"5550177" not in raw
    assert decrypt(raw, database_settings.referral_contact_key.get_secret_value()) == "+13125550177"
    _, other_public = new_keypair()
    forged = referral_request(channel="sms", contact=None, sealed_contact=seal("+13125550177", other_public))
    assert post(client, service, forged.model_dump(mode="json")).status_code == 422


def test_bad_requests_get_clear_422s(client, service):
    body = referral_request().model_dump(mode="json")
    no_key = client.post("/api/v1/referrals", json=body, headers=service)
    assert no_key.status_code == 422 and "idempotency-key" in no_key.text.lower()
    assert post(client, service, {**body, "contact": None}).status_code == 422
    assert post(client, service, {**body, "channel": "fax"}).status_code == 422
    assert post(client, service, {**body, "street_address": "1 Main St"}).status_code == 422  # never stored

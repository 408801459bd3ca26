"""The referral store on both databases, migrated from empty each time: SQLite (the embedded default) and the
PostgreSQL on 127.0.0.1:5432 (skipped only when no server answers there)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from api.core.contact_box import decrypt, new_key
from api.core.contact_seal import new_keypair
from api.crud.referrals import (
    CODE_ALPHABET,
    IdempotencyConflict,
    InvalidTransition,
    change_status,
    create_referral,
    get_referral,
    withdraw,
)
from api.db.migrate import downgrade, upgrade
from api.db.session import make_engine, make_sessionmaker
from tests.api.factories import referral_request
from tests.conftest import postgres_schema

KEY = new_key()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'navigator.db'}"
        return
    with postgres_schema() as url:  # a schema of our own in `test`: migrations start from empty
        yield url


@pytest.fixture
def session(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def test_migrations_apply_from_empty_and_roll_back(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    assert {"referrals", "referral_events", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    downgrade(database_url)
    engine = make_engine(database_url)
    assert not {"referrals", "referral_events"} & set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_same_idempotency_key_five_times_makes_one_referral(session):
    data = referral_request()
    results = [create_referral(session, idempotency_key="k-1", data=data, contact_key=KEY) for _ in range(5)]
    assert [created for _, created in results] == [True, False, False, False, False]
    assert len({referral.code for referral, _ in results}) == 1
    assert session.scalar(text("select count(*) from referrals")) == 1
    with pytest.raises(IdempotencyConflict):
        create_referral(session, idempotency_key="k-1", data=referral_request(needs=["housing"]), contact_key=KEY)


def test_code_contact_at_rest_and_consent_record(session):
    referral, _ = create_referral(session, idempotency_key="k-2", data=referral_request(), contact_key=KEY)
    assert referral.code.startswith("CSCC-") and len(referral.code) == 11
    assert set(referral.code[5:]) <= set(CODE_ALPHABET)
    assert not set(CODE_ALPHABET) & set("IL1O0SZ2B85")
    raw = session.execute(text("select contact_encrypted from referrals")).scalar_one()
    assert b"5550123" not in bytes(raw) and decrypt(bytes(raw), KEY) == "+17735550123"
    found = get_referral(session, code=referral.code)
    assert found.consent_text.startswith("CSCC outreach") and found.consent_at.year == 2026
    assert [(e.from_status, e.to_status, e.actor) for e in found.history] == [(None, "new", "resident")]


def test_an_sms_number_arrives_sealed_and_is_opened_only_here(session):
    private, public = new_keypair()
    from bot.channels.privacy import seal

    data = referral_request(channel="sms", contact=None, sealed_contact=seal("+1 312 555 0188", public))
    referral, _ = create_referral(session, idempotency_key="k-3", data=data, contact_key=KEY, sealing_key=private)
    assert decrypt(referral.contact_encrypted, KEY) == "+13125550188"


def test_status_moves_only_along_allowed_transitions_with_history(session):
    referral, _ = create_referral(session, idempotency_key="k-4", data=referral_request(), contact_key=KEY)
    with pytest.raises(InvalidTransition):
        change_status(session, referral=referral, to_status="connected", actor="staff:1", outcome="served")
    change_status(session, referral=referral, to_status="assigned", actor="staff:1")
    change_status(session, referral=referral, to_status="contacted", actor="staff:2")
    with pytest.raises(InvalidTransition, match="needs an outcome"):
        change_status(session, referral=referral, to_status="connected", actor="staff:2")
    change_status(session, referral=referral, to_status="connected", actor="staff:2", outcome="served")
    change_status(session, referral=referral, to_status="closed", actor="staff:2", outcome="served")
    with pytest.raises(InvalidTransition):
        change_status(session, referral=referral, to_status="assigned", actor="staff:1")
    session.expire_all()
    steps = [(e.from_status, e.to_status, e.outcome) for e in get_referral(session, code=referral.code).history]
    assert steps == [
        (None, "new", None),
        ("new", "assigned", None),
        ("assigned", "contacted", None),
        ("contacted", "connected", "served"),
        ("connected", "closed", "served"),
    ]


def test_withdrawing_closes_and_erases_the_contact(session):
    referral, _ = create_referral(session, idempotency_key="k-5", data=referral_request(), contact_key=KEY)
    withdraw(session, referral=referral)
    session.expire_all()
    found = get_referral(session, code=referral.code)
    assert found.status == "closed" and found.outcome == "declined"
    assert found.contact_encrypted is None and found.first_name is None
    assert found.history[-1].actor == "resident"


def test_a_referral_needs_a_contact_unless_the_resident_calls_themselves():
    with pytest.raises(ValueError, match="contact is needed"):
        referral_request(contact=None)
    assert referral_request(contact=None, contact_method="self").contact is None

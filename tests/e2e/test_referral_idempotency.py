"""One referral request, sent 5 times with one Idempotency-Key, with the api killed (SIGKILL, no clean shutdown) and
started again between every try, over the same database: exactly one referral exists, and every try got its code."""

from __future__ import annotations

import signal
import uuid

import httpx
from sqlalchemy import create_engine, text

from api.core.contact_box import new_key
from api.core.contact_seal import new_keypair
from bot.channels.privacy import seal
from tests.api.factories import referral_request
from tests.stack import ApiProcess

TRIES = 5


def test_five_tries_across_api_kills_make_one_referral(tmp_path):
    private, public = new_keypair()
    service = uuid.uuid4().hex
    database = f"sqlite:///{tmp_path / 'navigator.db'}"
    env = {
        "NAVIGATOR_DATABASE_URL": database,
        "NAVIGATOR_QDRANT_PATH": str(tmp_path / "qdrant"),
        "NAVIGATOR_SERVICE_TOKEN": service,
        "NAVIGATOR_REFERRAL_CONTACT_KEY": new_key(),
        "NAVIGATOR_CONTACT_PRIVATE_KEY": private,
        "NAVIGATOR_API_LOG_LEVEL": "warning",
    }
    body = referral_request(
        channel="sms", contact=None, sealed_contact=seal("+17735550166", public), conversation_id="sms-" + "a" * 40
    ).model_dump(mode="json")
    headers = {"Authorization": f"Bearer {service}", "Idempotency-Key": f"referral-{uuid.uuid4().hex}"}
    answers = []
    for attempt in range(TRIES):
        api = ApiProcess(env, log=tmp_path / f"api-{attempt}.log")
        with api:
            answers.append(httpx.post(f"{api.url}/api/v1/referrals", json=body, headers=headers, timeout=30))
            api.proc.send_signal(signal.SIGKILL)  # no shutdown: whatever was not committed is lost
            api.proc.wait(timeout=30)
    assert [a.status_code for a in answers] == [201] + [200] * (TRIES - 1)
    assert len({a.json()["code"] for a in answers}) == 1
    engine = create_engine(database)
    with engine.connect() as db:
        assert db.execute(text("select count(*) from referrals")).scalar_one() == 1
        assert db.execute(text("select count(*) from referral_events")).scalar_one() == 1
    engine.dispose()
    assert all(b"5550166" not in log.read_bytes() for log in tmp_path.glob("api-*.log"))

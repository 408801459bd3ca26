"""The check-in scheduler as `make run` and the production stack run it: `python -m api.checkins`, a process of its
own, against a real database and the Twilio stand-in over HTTP. Killed (SIGKILL) in the middle of a batch and started
again, it sends no resident a second check-in; outside the sending hours it sends nothing; without Twilio's settings
it says what is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update

from api.core.checkin_texts import question
from api.core.contact_box import new_key
from api.crud.checkins import checkins_of
from api.crud.referrals import create_referral
from api.db.migrate import upgrade
from api.db.models import Referral
from api.db.session import make_engine, make_sessionmaker
from tests.api.factories import referral_request
from tests.stack import wait_for
from tests.twilio_standin import ACCOUNT_SID, TwilioStandIn

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "twilio-token-" + uuid.uuid4().hex


def scheduler_env(url: str, key: str, twilio: TwilioStandIn, tmp_path: Path, **changes: str) -> dict[str, str]:
    return {
        **os.environ,
        "NAVIGATOR_DATABASE_URL": url,
        "NAVIGATOR_REFERRAL_CONTACT_KEY": key,
        "NAVIGATOR_SENDER_ID_KEY": "sender-key-" + uuid.uuid4().hex,
        "NAVIGATOR_SMS_STATE_URL": f"sqlite:///{tmp_path / 'sms-state.db'}",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "NAVIGATOR_TWILIO_API_URL": twilio.url,
        "NAVIGATOR_SMS_FROM_NUMBER": "+13125550000",
        "NAVIGATOR_CHECKIN_AFTER_DAYS": "7",
        "NAVIGATOR_CHECKIN_SEND_HOURS": "0-24",
        "NAVIGATOR_CHECKIN_EVERY_S": "1",
        "NAVIGATOR_CHECKIN_HEARTBEAT": str(tmp_path / "checkins.heartbeat"),
        "NAVIGATOR_API_LOG_FORMAT": "text",
        **changes,
    }


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "api.checkins", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


def referrals(url: str, key: str, count: int) -> list[tuple[int, str]]:
    """(id, phone) of referrals made 8 days ago by residents who chose texts."""
    engine = make_engine(url)
    made = []
    with make_sessionmaker(engine)() as session:
        for _ in range(count):
            phone = f"+1872555{uuid.uuid4().int % 10000:04d}"
            referral, _ = create_referral(
                session, idempotency_key=uuid.uuid4().hex, data=referral_request(contact=phone), contact_key=key
            )
            made.append((referral.id, phone))
        session.execute(update(Referral).values(created_at=datetime.now(UTC) - timedelta(days=8)))
        session.commit()
    engine.dispose()
    return made


def states(url: str, ids: list[int]) -> dict[int, list[str]]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        found = {rid: [row.state for row in checkins_of(session, referral_id=rid)] for rid in ids}
    engine.dispose()
    return found


def test_killed_mid_batch_and_restarted_no_resident_gets_two(empty_database, tmp_path):
    url, key = empty_database, new_key()
    upgrade(url)
    made = referrals(url, key, 12)
    ids = [rid for rid, _ in made]
    log = tmp_path / "checkins.log"
    with TwilioStandIn(TOKEN) as twilio:
        twilio.delay_s = 0.4  # each message takes a while: the kill lands in the middle of the batch
        env = scheduler_env(url, key, twilio, tmp_path)
        first = start(env, log)
        try:
            wait_for(lambda: len(twilio.sent) >= 4, 120, "the first check-ins")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        before = len(twilio.sent)
        assert before < 12, "the kill came after the whole batch: nothing was tested"

        second = start(env, log)
        try:
            wait_for(lambda: sum(len(s) for s in states(url, ids).values()) == 12, 120, "every round claimed")
            time.sleep(3)  # several more runs of the restarted scheduler: nothing more may go out
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0  # stops cleanly on SIGTERM (docker stop, Ctrl-C in make run)

        got = states(url, ids)
        assert all(len(rows) == 1 for rows in got.values())  # one claim per referral and round, whatever happened
        sent = [rid for rid, rows in got.items() if rows == ["sent"]]
        cut_short = [rid for rid, rows in got.items() if rows == ["sending"]]
        assert len(sent) + len(cut_short) == 12 and len(cut_short) <= 1
        received = {phone: twilio.to(phone) for _, phone in made}
        assert all(len(texts) <= 1 for texts in received.values()), "a resident got a check-in twice"
        assert all(received[phone] == [question("es")] for rid, phone in made if rid in sent)
        # The message in flight at the kill may or may not have reached Twilio; it is never sent again.
        assert len(sent) <= len(twilio.sent) <= len(sent) + len(cut_short)
    text = log.read_text()
    assert "check-ins: " in text and "sent" in text
    assert not any(phone[-7:] in text for _, phone in made)


def test_outside_the_sending_hours_the_process_sends_nothing(empty_database, tmp_path):
    url, key = empty_database, new_key()
    upgrade(url)
    made = referrals(url, key, 2)
    hour = datetime.now(ZoneInfo("America/Chicago")).hour
    closed = f"{hour + 1}-24" if hour < 23 else "0-23"  # every hour but this one
    log = tmp_path / "checkins.log"
    with TwilioStandIn(TOKEN) as twilio:
        env = scheduler_env(url, key, twilio, tmp_path, NAVIGATOR_CHECKIN_SEND_HOURS=closed)
        assert start(env, log, "--once").wait(timeout=120) == 0
        assert twilio.sent == [] and states(url, [rid for rid, _ in made]) == {rid: [] for rid, _ in made}
        assert "outside the sending hours" in log.read_text()
        # The heartbeat the container's health check reads: fresh after a run, stale when the loop stops turning.
        assert start(env, log, "--healthy").wait(timeout=60) == 0
        old = time.time() - 3600
        os.utime(tmp_path / "checkins.heartbeat", (old, old))
        assert start(env, log, "--healthy").wait(timeout=60) == 1
        # In the sending hours, the same run sends both.
        assert start({**env, "NAVIGATOR_CHECKIN_SEND_HOURS": "0-24"}, log, "--once").wait(timeout=120) == 0
        assert sorted(s.to for s in twilio.sent) == sorted(phone for _, phone in made)


def test_without_twilio_settings_it_says_what_is_missing(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "NAVIGATOR_"))}
    env["NAVIGATOR_CHECKIN_HEARTBEAT"] = str(tmp_path / "checkins.heartbeat")
    answer = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "api.checkins", "--once"],
        cwd=tmp_path,  # no .env here
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 2
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "NAVIGATOR_SMS_FROM_NUMBER", "NAVIGATOR_SENDER_ID_KEY"):
        assert name in answer.stderr
    assert "Traceback" not in answer.stderr
    bad = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "api.checkins", "--once"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "NAVIGATOR_CHECKIN_SEND_HOURS": "21-9"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "NAVIGATOR_CHECKIN_SEND_HOURS" in bad.stderr and "Traceback" not in bad.stderr

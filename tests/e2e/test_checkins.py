"""Follow-up check-ins end to end, as `make run` starts Navigator: a resident referred over SMS (texts at this number,
texting safe), the scheduler run as the operator would (`python -m api.checkins --once`) sending through the Twilio
stand-in, Twilio's signed delivery report reaching the api, and the resident's "2" arriving at the bot's signed
webhook, answered from the api and putting the closed referral back in front of outreach.
"""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.core.checkin_texts import question, reply
from tests.e2e.test_referrals import CODE, SmsResident, referral, supervisor  # noqa: F401  (a fixture)
from tests.sms_client import TOKEN, SmsClient
from tests.stack import ROOT
from tests.twilio_standin import ACCOUNT_SID, TwilioStandIn


@pytest.fixture
def twilio_standin():
    with TwilioStandIn(TOKEN) as standin:
        yield standin


def run_scheduler(running, standin: TwilioStandIn) -> str:
    env = {
        **running.env,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "NAVIGATOR_TWILIO_API_URL": standin.url,
        "NAVIGATOR_SMS_FROM_NUMBER": "+13125550000",
        "NAVIGATOR_CHECKIN_AFTER_DAYS": "7",
        "NAVIGATOR_CHECKIN_SEND_HOURS": "0-24",  # the test runs at any hour; the hours are tested in tests/api
        "NAVIGATOR_API_LOG_FORMAT": "text",
    }
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "api.checkins", "--once"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def test_an_sms_resident_answers_2_and_the_referral_is_reopened(running, supervisor, twilio_standin):  # noqa: F811
    resident = SmsResident(SmsClient(running.bot_url, running.workdir))
    resident.say("i need food near 60623")
    resident.say("CONNECT")
    answers = ["no", "1", "1", "any time", "1"]  # no name; text this number; texting is safe; any time; English
    consent = ""
    for text in answers:
        consent = resident.say(text)
        if "YES" in consent:
            break
    assert "Reply YES" in consent, consent
    code = CODE.search(resident.say("YES")).group(0)
    seen = referral(running, supervisor, code)
    assert seen["contact_method"] == "text" and seen["safe_to_text"] and seen["contact"] == resident.phone

    # A week later (the referral's date moved back), outreach closed it, and the scheduler runs.
    with sqlite3.connect(running.workdir / "navigator.db") as db:
        db.execute("update referrals set created_at = ? where code = ?",
                   ((datetime.now(UTC) - timedelta(days=8)).strftime("%Y-%m-%d %H:%M:%S.%f"), code))  # fmt: skip
    closed = httpx.post(f"{running.api_url}/api/v1/referrals/{code}/status", headers=supervisor,
                        json={"status": "closed", "outcome": "served"}, timeout=30)  # fmt: skip
    assert closed.status_code == 200, closed.text
    log = run_scheduler(running, twilio_standin)
    assert twilio_standin.to(resident.phone) == [question(seen["language"])]
    assert resident.phone not in log and resident.phone[-4:] not in log

    # Twilio reports the delivery, signed, to the api's public address (the stack's api behind it).
    [message] = [s for s in twilio_standin.sent if s.to == resident.phone]
    assert twilio_standin.report(message, "delivered", via=running.api_url) == 204
    forged = TwilioStandIn("not-the-token")
    assert forged.report(message, "failed", via=running.api_url) == 403

    # The resident answers 2 to the bot's webhook: the api's reply, and the referral is open again.
    assert resident.say("2") == reply("2", seen["language"])
    after = referral(running, supervisor, code)
    assert (after["status"], after["outcome"]) == ("new", None)
    assert after["history"][-1]["actor"] == "resident:checkin" and after["history"][-1]["from_status"] == "closed"
    # Running again sends nothing more; a later "1" is for the conversation, not a second answer.
    run_scheduler(running, twilio_standin)
    assert len(twilio_standin.to(resident.phone)) == 1
    assert resident.say("1") != reply("1", seen["language"])

"""Follow-up check-ins (issue 7): the schedule, the scheduler against the real database and a Twilio stand-in over
HTTP, the resident's answers, and Twilio's signed delivery status callbacks; on SQLite and PostgreSQL.

The scheduler is driven with an explicit clock (Scheduler.run_once(now)); the process itself, killed and restarted,
is tested in test_checkin_process.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select, update

from api.checkins import Run, Scheduler
from api.core import security
from api.core.checkin_schedule import Due, due_rounds, may_send_at
from api.core.checkin_texts import QUESTION, REPLIES, question, reply
from api.core.settings import CheckinSettings
from api.crud.checkins import checkins_of, claim
from api.crud.referrals import audit_entries, create_referral, get_referral
from api.db.migrate import downgrade, upgrade
from api.db.models import CheckIn, Referral
from api.db.session import make_engine, make_sessionmaker
from api.routes import checkins as checkin_routes
from bot.channels.privacy import sender_id
from bot.channels.sms_state import SmsState
from bot.channels.twilio_rest import TwilioRest
from knowledge.sms import segments
from tests.api.factories import OLD_REFERRALS, old_referral, referral_request
from tests.api.test_console import body_rows, signed_in
from tests.api.test_metrics import samples, value
from tests.stack import ROOT
from tests.twilio_standin import ACCOUNT_SID, TwilioStandIn

CHICAGO = ZoneInfo("America/Chicago")
TOKEN = "twilio-token-" + uuid.uuid4().hex
SENDER_KEY = "sender-key-" + uuid.uuid4().hex
SERVICE = "service-token-for-checkin-tests"
PUBLIC_API = "https://navigator.example.org"
OUR_NUMBER = "+13125550000"


def chicago(hour: int, minute: int = 0, *, day: datetime | None = None) -> datetime:
    """Today's date in Chicago (or day's) at hour:minute there, in UTC: within a day of the real clock, so referrals
    made now can be aged relative to it."""
    local = (day or datetime.now(UTC)).astimezone(CHICAGO)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


def new_phone() -> str:
    return f"+1773555{uuid.uuid4().int % 10000:04d}"


# --- the schedule, on the clock alone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        ("2026-12-01T14:59", False),  # 8:59 in Chicago in winter (UTC-6)
        ("2026-12-01T15:00", True),  # 9:00
        ("2026-12-02T02:59", True),  # 20:59
        ("2026-12-02T03:00", False),  # 21:00
        ("2026-07-01T13:59", False),  # 8:59 in summer (UTC-5): the same local hours, another UTC hour
        ("2026-07-01T14:00", True),
        ("2026-07-02T01:59", True),
        ("2026-07-02T02:00", False),
        ("2026-07-01T07:30", False),  # 2:30 at night
    ],
)
def test_check_ins_go_out_only_between_9_am_and_9_pm_in_chicago(utc, allowed):
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert may_send_at(now, hours=(9, 21), zone="America/Chicago") is allowed


def test_the_round_due_is_the_latest_and_a_long_overdue_one_is_skipped():
    made = datetime(2026, 11, 1, 15, tzinfo=UTC)
    days = [3.0, 14.0]

    def due(after: float, claimed: set[int] = frozenset()) -> Due:
        return due_rounds(made, made + timedelta(days=after), after_days=days, late_days=7, claimed=set(claimed))

    assert due(2.9) == Due(None, ())
    assert due(3) == Due(1, ())
    assert due(5, {1}) == Due(None, ())  # sent already
    assert due(14.5, {1}) == Due(2, ())
    # The scheduler was down from day 2 to day 15: one text (the latest round), the first recorded as skipped.
    assert due(15) == Due(2, (1,))
    # Down until day 22: round 2 is 8 days late; nothing is sent, both are recorded as skipped.
    assert due(22) == Due(None, (1, 2))
    # SQLite gives the time back without its zone: the same answer.
    assert due_rounds(made.replace(tzinfo=None), made + timedelta(days=3), after_days=days, late_days=7,
                      claimed=set()) == Due(1, ())  # fmt: skip


def test_the_texts_fit_one_segment_and_name_no_need():
    for language in ("en", "es"):
        texts = [question(language)] + [reply(a, language) for a in "123"]
        assert all(segments(t) == 1 for t in texts), texts
        assert "1" in texts[0] and "2" in texts[0] and "3" in texts[0] and "911" in texts[0]
    assert question("es") != question("en") and question("fr") == question("en")
    assert set(REPLIES) == {"1", "2", "3"} and set(QUESTION) == {"en", "es"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("NAVIGATOR_CHECKIN_AFTER_DAYS", "14,3"), ("NAVIGATOR_CHECKIN_AFTER_DAYS", "soon"),
     ("NAVIGATOR_CHECKIN_SEND_HOURS", "21-9"), ("NAVIGATOR_CHECKIN_SEND_HOURS", "9-25"),
     ("NAVIGATOR_CHECKIN_TIMEZONE", "Chicago")],
)  # fmt: skip
def test_bad_settings_are_refused_with_their_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name.removeprefix("NAVIGATOR_").lower()):
        CheckinSettings(_env_file=None)


# --- the scheduler: database, Twilio stand-in, the SMS channel's opt-outs -----------------------------------------


@pytest.fixture
def standin():
    with TwilioStandIn(TOKEN) as twilio:
        yield twilio


@pytest.fixture
def opt_outs(tmp_path):
    state = SmsState(f"sqlite:///{tmp_path / 'sms-state.db'}")
    yield state
    state.close()


@pytest.fixture
def sessions(database_settings):
    engine = make_engine(database_settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def settings_for(standin: TwilioStandIn, opt_outs: SmsState, **changes) -> CheckinSettings:
    values = {
        "checkin_after_days": "3",
        "sender_id_key": SENDER_KEY,
        "sms_state_url": str(opt_outs.engine.url),
        "sms_from_number": OUR_NUMBER,
        "public_api_url": PUBLIC_API,
        "twilio_api_url": standin.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        **changes,
    }
    return CheckinSettings(_env_file=None, **values)


def make_scheduler(database_settings, sessions, standin, opt_outs, **changes) -> Scheduler:
    settings = settings_for(standin, opt_outs, **changes)
    return Scheduler(
        settings=settings,
        sessions=sessions,
        contact_key=database_settings.referral_contact_key.get_secret_value(),
        twilio=TwilioRest(settings.twilio_api_url, ACCOUNT_SID, TOKEN, attempts=2),
        opt_outs=opt_outs,
    )


def run(scheduler: Scheduler, now: datetime) -> Run:
    async def once() -> Run:
        try:
            return await scheduler.run_once(now)
        finally:
            await scheduler.twilio.close()  # a new event loop per run: no session may outlive its loop

    return asyncio.run(once())


def referral_made(sessions, database_settings, *, at: datetime, phone: str | None = None, **changes) -> Referral:
    """A referral as the action server makes it, dated `at` (the api stamps the real clock)."""
    phone = phone or new_phone()
    data = referral_request(**{"contact": phone, **changes})
    with sessions() as session:
        referral, _ = create_referral(
            session,
            idempotency_key=uuid.uuid4().hex,
            data=data,
            contact_key=database_settings.referral_contact_key.get_secret_value(),
        )
        session.execute(update(Referral).where(Referral.id == referral.id).values(created_at=at))
        session.commit()
        session.refresh(referral)
        session.expunge(referral)
    referral.phone = phone  # type: ignore[attr-defined]  # for the test's eyes only
    return referral


def rows_of(sessions, referral: Referral) -> list[CheckIn]:
    with sessions() as session:
        return checkins_of(session, referral_id=referral.id)


def test_a_check_in_goes_out_after_the_days_set_in_the_residents_language(database_settings, sessions, standin,
                                                                          opt_outs):  # fmt: skip
    now = chicago(10)
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs)
    due = referral_made(sessions, database_settings, at=now - timedelta(days=3, minutes=1), language="es")
    early = referral_made(sessions, database_settings, at=now - timedelta(days=2, hours=23))
    english = referral_made(sessions, database_settings, at=now - timedelta(days=4), language="en", channel="sms",
                            contact_method="other_number")  # fmt: skip

    done = run(scheduler, now)
    assert standin.to(due.phone) == [question("es")] and standin.to(english.phone) == [question("en")]
    assert standin.to(early.phone) == []
    [message] = [s for s in standin.sent if s.to == due.phone]
    assert message.sender == OUR_NUMBER and message.status_callback == f"{PUBLIC_API}/api/v1/checkins/status"
    [row] = rows_of(sessions, due)
    assert (row.round, row.state, row.twilio_sid) == (1, "sent", message.sid)
    assert row.sender_id == sender_id(due.phone, SENDER_KEY)  # the SMS channel's id of the number: how answers match
    assert {(due.id, 1), (english.id, 1)} <= set(done.rounds)
    # The same run again, an hour later: nothing more.
    run(scheduler, now + timedelta(hours=1))
    assert len(standin.to(due.phone)) == 1 and len(standin.to(english.phone)) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"contact_method": "call", "safe_to_call": True},  # asked for a call
        {"safe_to_text": False, "safe_to_call": True, "contact_method": "call"},  # texting is not safe
        {"contact_method": "self", "contact": None, "safe_to_text": False},  # will call the program themselves
    ],
)
def test_no_check_in_unless_the_resident_chose_texts_and_said_they_are_safe(database_settings, sessions, standin,
                                                                           opt_outs, changes):  # fmt: skip
    now = chicago(11)
    phone = new_phone()
    referral = referral_made(sessions, database_settings, at=now - timedelta(days=4), phone=phone, **changes)
    run(make_scheduler(database_settings, sessions, standin, opt_outs), now)
    assert standin.to(phone) == [] and rows_of(sessions, referral) == []


def test_withdrawn_or_declined_referrals_get_no_check_in(database_settings, sessions, standin, opt_outs):
    now = chicago(12)
    withdrawn = referral_made(sessions, database_settings, at=now - timedelta(days=4))
    declined = referral_made(sessions, database_settings, at=now - timedelta(days=4))
    with sessions() as session:
        # Withdrawing erases the number (api/crud/referrals.py withdraw); a declined referral keeps it.
        session.execute(update(Referral).where(Referral.id == withdrawn.id).values(
            status="closed", outcome="declined", contact_encrypted=None))  # fmt: skip
        session.execute(
            update(Referral).where(Referral.id == declined.id).values(status="declined", outcome="declined")
        )
        session.commit()
    run(make_scheduler(database_settings, sessions, standin, opt_outs), now)
    assert standin.to(withdrawn.phone) == standin.to(declined.phone) == []


def test_quiet_hours_hold_a_due_check_in_until_9_am_in_chicago(database_settings, sessions, standin, opt_outs):
    morning = chicago(9)
    referral = referral_made(sessions, database_settings, at=morning - timedelta(days=3, hours=12))  # due 21:00
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs)
    for at in (morning - timedelta(hours=12), morning - timedelta(hours=6), morning - timedelta(minutes=1)):
        assert run(scheduler, at).quiet
    assert standin.to(referral.phone) == [] and rows_of(sessions, referral) == []  # nothing claimed at night
    assert not run(scheduler, morning).quiet
    assert standin.to(referral.phone) == [question("es")]


def test_a_number_that_said_stop_gets_no_check_in(database_settings, sessions, standin, opt_outs):
    now = chicago(13)
    stopped = referral_made(sessions, database_settings, at=now - timedelta(days=4))
    opt_outs.set_opted_out(sender_id(stopped.phone, SENDER_KEY), True)  # as the SMS channel records STOP
    at_twilio = referral_made(sessions, database_settings, at=now - timedelta(days=4))
    standin.opted_out.add(at_twilio.phone)  # STOP sent to Twilio itself, which refuses with 21610
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs, checkin_after_days="3,5")

    done = run(scheduler, now)
    assert standin.to(stopped.phone) == [] and [r.state for r in rows_of(sessions, stopped)] == ["opted_out"]
    assert done.opted_out >= 1 and standin.to(at_twilio.phone) == []
    assert [r.state for r in rows_of(sessions, at_twilio)] == ["not_sent"]
    # Twilio's refusal is recorded as the channel's own STOP: the next round does not even try.
    assert opt_outs.is_opted_out(sender_id(at_twilio.phone, SENDER_KEY))
    refused = standin.refused
    run(scheduler, now + timedelta(days=2))
    assert standin.refused == refused and [r.state for r in rows_of(sessions, at_twilio)] == ["not_sent", "opted_out"]


def test_a_missed_run_catches_up_with_one_text_not_a_burst(database_settings, sessions, standin, opt_outs):
    now = chicago(14)
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs, checkin_after_days="3,10")
    # The scheduler was down since before the first round: at day 11 only the second round goes out.
    behind = referral_made(sessions, database_settings, at=now - timedelta(days=11))
    # Down for so long that the last round is more than NAVIGATOR_CHECKIN_LATE_DAYS (7) overdue: nothing.
    stale = referral_made(sessions, database_settings, at=now - timedelta(days=18))
    run(scheduler, now)
    assert standin.to(behind.phone) == [question("es")]
    assert [(r.round, r.state) for r in rows_of(sessions, behind)] == [(1, "skipped"), (2, "sent")]
    assert standin.to(stale.phone) == []
    assert [(r.round, r.state) for r in rows_of(sessions, stale)] == [(1, "skipped"), (2, "skipped")]


def test_two_schedulers_at_once_send_each_round_once(database_settings, sessions, standin, opt_outs):
    now = chicago(15)
    referrals = [referral_made(sessions, database_settings, at=now - timedelta(days=4)) for _ in range(6)]
    standin.delay_s = 0.05  # slow enough that both schedulers are mid-batch together
    engines = [make_engine(database_settings.database_url) for _ in range(2)]
    schedulers = [make_scheduler(database_settings, make_sessionmaker(engine), standin, opt_outs) for engine in engines]

    async def both() -> list[Run]:
        try:
            return await asyncio.gather(*(s.run_once(now) for s in schedulers))
        finally:
            for s in schedulers:
                await s.twilio.close()

    runs = asyncio.run(both())
    for engine in engines:
        engine.dispose()
    assert all(len(standin.to(r.phone)) == 1 for r in referrals)
    mine = {r.id for r in referrals}
    sent_by = [sorted(rid for rid, _ in run_.rounds if rid in mine) for run_ in runs]
    assert sorted(sent_by[0] + sent_by[1]) == sorted(mine)


def test_a_send_cut_short_is_never_repeated(database_settings, sessions, standin, opt_outs):
    """A process killed between claiming a round and hearing from Twilio leaves the claim "sending": the message
    may or may not have gone, so it is not sent again; after ten minutes it shows as interrupted."""
    now = chicago(16)
    referral = referral_made(sessions, database_settings, at=now - timedelta(days=4))
    with sessions() as session:
        assert claim(session, referral_id=referral.id, round_=1, state="sending", sender_id="sms-x")
        session.execute(update(CheckIn).where(CheckIn.referral_id == referral.id).values(claimed_at=now))
        session.commit()
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs)
    run(scheduler, now + timedelta(minutes=5))
    assert standin.to(referral.phone) == [] and [r.state for r in rows_of(sessions, referral)] == ["sending"]
    assert run(scheduler, now + timedelta(minutes=11)).interrupted >= 1
    assert standin.to(referral.phone) == [] and [r.state for r in rows_of(sessions, referral)] == ["interrupted"]


def test_twilio_down_is_retried_then_recorded_and_not_resent(database_settings, sessions, standin, opt_outs):
    now = chicago(17)
    referral = referral_made(sessions, database_settings, at=now - timedelta(days=4))
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs)
    standin.failures = [503]  # one failure: retried, then accepted
    run(scheduler, now)
    assert standin.to(referral.phone) == [question("es")]
    later = referral_made(sessions, database_settings, at=now - timedelta(days=4))
    standin.failures = [503] * 50
    run(scheduler, now + timedelta(minutes=1))
    standin.failures = []
    assert standin.to(later.phone) == [] and [r.state for r in rows_of(sessions, later)] == ["not_sent"]


# --- answers ------------------------------------------------------------------------------------------------------


@pytest.fixture
def service(monkeypatch, tmp_path):
    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", SERVICE)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("NAVIGATOR_PUBLIC_API_URL", PUBLIC_API)
    monkeypatch.setenv("NAVIGATOR_SMS_STATE_URL", f"sqlite:///{tmp_path / 'api-sms-state.db'}")
    security.security_settings.cache_clear()
    checkin_routes.checkin_settings.cache_clear()
    yield {"Authorization": f"Bearer {SERVICE}"}
    security.security_settings.cache_clear()
    checkin_routes.checkin_settings.cache_clear()


def checked_in(database_settings, sessions, standin, opt_outs, **changes) -> tuple[Referral, str]:
    """A referral whose check-in has just gone out; (referral, the number's sender id)."""
    now = datetime.now(UTC)
    referral = referral_made(sessions, database_settings, at=now - timedelta(days=4), **changes)
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs, checkin_send_hours="0-24")
    run(scheduler, now)
    assert len(standin.to(referral.phone)) == 1
    return referral, sender_id(referral.phone, SENDER_KEY)


def answer(client, headers, sender: str, digit: str, last_message_at: datetime | None = None):
    body = {"sender_id": sender, "answer": digit,
            "last_message_at": last_message_at.isoformat() if last_message_at else None}  # fmt: skip
    return client.post("/api/v1/checkins/answers", json=body, headers=headers)


def current(sessions, referral: Referral) -> Referral:
    with sessions() as session:
        found = session.get(Referral, referral.id)
        assert found is not None
        _ = [(e.actor, e.from_status, e.to_status) for e in found.history]
        session.expunge(found)
        return found


def test_2_reopens_a_closed_referral_for_outreach(client, database_settings, sessions, standin, opt_outs, service):
    referral, sender = checked_in(database_settings, sessions, standin, opt_outs, language="es")
    with sessions() as session:
        session.execute(update(Referral).where(Referral.id == referral.id).values(
            status="closed", outcome="served", assignee_id=7))  # fmt: skip
        session.commit()
    got = answer(client, service, sender, "2")
    assert got.status_code == 200 and got.json() == {"reply": reply("2", "es")}
    after = current(sessions, referral)
    assert (after.status, after.outcome, after.checkin_answer) == ("assigned", None, "still_need_help")
    assert after.history[-1].actor == "resident:checkin" and after.history[-1].from_status == "closed"
    [row] = rows_of(sessions, referral)
    assert row.answer == "2" and row.answered_at is not None
    with sessions() as session:
        [entry] = [e for e in audit_entries(session, code=referral.code) if e.action == "checkin_answer"]
        assert entry.detail == "2: still_need_help"
    # Answered: the next bare 2 is not an answer any more; it belongs to the conversation.
    assert answer(client, service, sender, "2").status_code == 404


def test_1_records_the_help_and_ends_check_ins(client, database_settings, sessions, standin, opt_outs, service):
    referral, sender = checked_in(database_settings, sessions, standin, opt_outs, language="en")
    got = answer(client, service, sender, "1")
    assert got.json() == {"reply": reply("1", "en")}
    after = current(sessions, referral)
    assert (after.status, after.checkin_answer) == ("new", "helped")  # outreach's own status is left alone
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs, checkin_after_days="3,4",
                               checkin_send_hours="0-24")  # fmt: skip
    run(scheduler, datetime.now(UTC) + timedelta(days=1))
    assert len(standin.to(referral.phone)) == 1  # no second round


def test_3_stops_check_ins_for_every_referral_of_the_number(client, database_settings, sessions, standin, opt_outs,
                                                           service):  # fmt: skip
    phone = new_phone()
    first, sender = checked_in(database_settings, sessions, standin, opt_outs, phone=phone)
    second = referral_made(sessions, database_settings, at=datetime.now(UTC) - timedelta(days=1), phone=phone)
    assert answer(client, service, sender, "3").json() == {"reply": reply("3", "es")}
    assert current(sessions, first).checkin_answer == "stop"
    # The other referral (made on the web chat with the same number) is never asked either.
    scheduler = make_scheduler(database_settings, sessions, standin, opt_outs, checkin_send_hours="0-24")
    run(scheduler, datetime.now(UTC) + timedelta(days=3))
    assert len(standin.to(phone)) == 1 and [r.state for r in rows_of(sessions, second)] == ["stopped"]


def test_a_digit_after_the_resident_wrote_again_is_for_the_conversation(client, database_settings, sessions, standin,
                                                                        opt_outs, service):  # fmt: skip
    referral, sender = checked_in(database_settings, sessions, standin, opt_outs)
    # The resident texted something else after the check-in; the bot answered with a numbered list: "1" picks it.
    assert answer(client, service, sender, "1", last_message_at=datetime.now(UTC)).status_code == 404
    assert current(sessions, referral).checkin_answer is None
    # Before the check-in went out, the same message is its answer.
    earlier = datetime.now(UTC) - timedelta(hours=1)
    assert answer(client, service, sender, "1", last_message_at=earlier).status_code == 200


def test_answers_need_the_service_token_and_a_waiting_check_in(client, database_settings, sessions, standin,
                                                               opt_outs, service):  # fmt: skip
    referral, sender = checked_in(database_settings, sessions, standin, opt_outs)
    assert answer(client, {}, sender, "2").status_code == 403  # anonymous: not a service
    assert answer(client, {"Authorization": "Bearer nope"}, sender, "2").status_code == 401
    assert answer(client, service, "sms-" + "0" * 40, "2").status_code == 404
    for bad in ({"sender_id": sender, "answer": "4"}, {"sender_id": "", "answer": "1"}, {"answer": "1"},
                {"sender_id": sender, "answer": "1", "phone": referral.phone}):  # fmt: skip
        assert client.post("/api/v1/checkins/answers", json=bad, headers=service).status_code == 422
    # A check-in older than NAVIGATOR_CHECKIN_ANSWER_DAYS is no longer waiting.
    with sessions() as session:
        session.execute(update(CheckIn).where(CheckIn.referral_id == referral.id).values(
            claimed_at=datetime.now(UTC) - timedelta(days=8)))  # fmt: skip
        session.commit()
    assert answer(client, service, sender, "2").status_code == 404
    assert current(sessions, referral).checkin_answer is None


# --- delivery status callbacks ------------------------------------------------------------------------------------


def post_callback(client, standin: TwilioStandIn, message, status: str, error_code: str | None = None, **tamper):
    path, form, headers = standin.callback(message, status, error_code)
    return client.post(path, data={**form, **tamper}, headers=headers)


def test_signed_status_callbacks_are_recorded_in_order(client, database_settings, sessions, standin, opt_outs,
                                                       service, monkeypatch):  # fmt: skip
    monkeypatch.setenv("NAVIGATOR_METRICS_TOKEN", SERVICE)  # scraped with a token of its own
    security.security_settings.cache_clear()

    def scrape() -> dict:
        return samples(client.get("/metrics", headers={"Authorization": f"Bearer {SERVICE}"}).text)

    before = scrape()
    referral, _ = checked_in(database_settings, sessions, standin, opt_outs)
    [message] = [s for s in standin.sent if s.to == referral.phone]
    assert post_callback(client, standin, message, "sent").status_code == 204
    assert rows_of(sessions, referral)[0].delivery == "sent"
    assert post_callback(client, standin, message, "delivered").status_code == 204
    # Twilio may deliver callbacks out of order: a late "sent" does not undo "delivered".
    assert post_callback(client, standin, message, "sent").status_code == 204
    [row] = rows_of(sessions, referral)
    assert (row.delivery, row.delivery_error) == ("delivered", None) and row.delivery_at is not None
    # The operator's gauges, read from the database at scrape time.
    after = scrape()
    assert value(after, "navigator_checkins", state="sent") >= value(before, "navigator_checkins", state="sent") + 1
    delivered = {"status": "delivered"}
    assert (
        value(after, "navigator_checkin_deliveries", **delivered)
        == value(before, "navigator_checkin_deliveries", **delivered) + 1
    )
    assert value(after, "navigator_checkins", state="interrupted") >= 0 and ("navigator_checkins", frozenset(
        {("state", "interrupted")})) in after  # every state is exported, 0 when none  # fmt: skip


def test_unsigned_forged_or_tampered_callbacks_change_nothing(client, database_settings, sessions, standin, opt_outs,
                                                               service):  # fmt: skip
    referral, _ = checked_in(database_settings, sessions, standin, opt_outs)
    [message] = [s for s in standin.sent if s.to == referral.phone]
    path, form, headers = standin.callback(message, "failed", "30003")
    assert client.post(path, data=form).status_code == 403  # unsigned
    forged = TwilioStandIn("another-account-token")
    assert client.post(path, data=form, headers=forged.callback(message, "failed")[2]).status_code == 403
    assert client.post(path, data={**form, "MessageStatus": "delivered"}, headers=headers).status_code == 403
    assert client.post(path, data=form, headers={"X-Twilio-Signature": ""}).status_code == 403
    assert rows_of(sessions, referral)[0].delivery is None
    assert client.post(path, content=b"x" * 20_000, headers=headers).status_code == 413
    # Signed by Twilio, for a message that is not a check-in (a late chat reply): accepted, nothing to record.
    other = message.__class__(message.to, message.sender, "hi", 0.0, "SM" + "f" * 32, message.status_callback)
    assert post_callback(client, standin, other, "delivered").status_code == 204


def test_a_callback_saying_the_number_opted_out_is_recorded_as_stop(client, database_settings, sessions, standin,
                                                                    opt_outs, service, tmp_path):  # fmt: skip
    referral, sender = checked_in(database_settings, sessions, standin, opt_outs)
    [message] = [s for s in standin.sent if s.to == referral.phone]
    assert post_callback(client, standin, message, "undelivered", "21610").status_code == 204
    assert rows_of(sessions, referral)[0].delivery_error == "21610"
    state = SmsState(f"sqlite:///{tmp_path / 'api-sms-state.db'}")  # the store NAVIGATOR_SMS_STATE_URL names
    assert state.is_opted_out(sender)
    state.close()


def test_callbacks_are_refused_until_configured(client, monkeypatch, database_settings, sessions, standin, opt_outs,
                                                service):  # fmt: skip
    referral, _ = checked_in(database_settings, sessions, standin, opt_outs)
    [message] = [s for s in standin.sent if s.to == referral.phone]
    monkeypatch.delenv("NAVIGATOR_PUBLIC_API_URL")
    checkin_routes.checkin_settings.cache_clear()
    got = post_callback(client, standin, message, "delivered")
    assert got.status_code == 503 and "not configured" in got.json()["detail"]


def test_no_number_or_text_in_the_check_in_rows(database_settings, sessions, standin, opt_outs):
    referral, _ = checked_in(database_settings, sessions, standin, opt_outs)
    with sessions() as session:
        row = session.scalar(select(CheckIn).where(CheckIn.referral_id == referral.id))
        values = [str(getattr(row, c.key)) for c in CheckIn.__table__.columns]
    digits = referral.phone.lstrip("+")
    assert not any(digits[-7:] in v for v in values) and not any("help you needed" in v for v in values)


# --- what outreach staff see ---------------------------------------------------------------------------------------


def test_staff_see_the_check_ins_and_the_answer_on_the_referral(client, database_settings, sessions, standin,
                                                               opt_outs, service, people):  # fmt: skip
    users, headers = people  # its own service token
    referral, sender = checked_in(database_settings, sessions, standin, opt_outs)
    [message] = [s for s in standin.sent if s.to == referral.phone]
    assert post_callback(client, standin, message, "delivered").status_code == 204
    with sessions() as session:
        session.execute(update(Referral).where(Referral.id == referral.id).values(status="closed", outcome="served"))
        session.commit()
    assert answer(client, headers["service"], sender, "2").status_code == 200
    page = signed_in(client, users["supervisor"]).get(f"/staff/referrals/{referral.code}").text
    checkins = page.split('id="checkins-heading"')[1].split("</section>")[0]
    [row] = body_rows(checkins)
    assert row[0] == "1" and row[2:] == ["Sent", "Delivered", row[4]] and row[4].startswith("2: still needs help")
    history = page.split('id="history-heading"')[1]
    assert "Resident (check-in answer)" in history and "Closed → New" in history
    assert referral.phone[-4:] not in checkins
    # A referral whose resident asked for calls says why it has none.
    calls = referral_made(sessions, database_settings, at=datetime.now(UTC), contact_method="call", safe_to_call=True)
    page = signed_in(client, users["supervisor"]).get(f"/staff/referrals/{calls.code}").text
    assert "No check-ins: the resident did not choose texts" in page


# --- the migration -----------------------------------------------------------------------------------------------


def test_the_migration_adds_check_ins_to_an_existing_database(empty_database):
    url = empty_database
    upgrade(url, "0005")  # a database in use before check-ins, with a referral
    engine = make_engine(url)
    with engine.begin() as connection:
        old_referral(connection, code="CSCC-AAAAAA")
    assert "checkins" not in inspect(engine).get_table_names()
    engine.dispose()

    upgrade(url, "0006")
    engine = make_engine(url)
    tables = inspect(engine)
    assert {"checkin_answer", "checkin_answer_at"} <= {c["name"] for c in tables.get_columns("referrals")}
    with make_sessionmaker(engine)() as session:
        kept = get_referral(session, code="CSCC-AAAAAA")
        assert kept is not None and kept.checkin_answer is None and kept.contact_encrypted == b"sealed"
        assert claim(session, referral_id=kept.id, round_=1, state="sending")
        assert claim(session, referral_id=kept.id, round_=1, state="sending") is None  # the unique claim
    engine.dispose()

    downgrade(url, "0005")
    engine = make_engine(url)
    assert "checkins" not in inspect(engine).get_table_names()
    assert "checkin_answer" not in {c["name"] for c in inspect(engine).get_columns("referrals")}
    with engine.connect() as connection:
        assert connection.execute(sa.select(OLD_REFERRALS.c.code)).scalar_one() == "CSCC-AAAAAA"
    engine.dispose()


def test_the_api_refuses_to_start_with_a_bad_check_in_setting_naming_it(tmp_path):
    env = {**os.environ, "NAVIGATOR_CHECKIN_SEND_HOURS": "21-9", "NAVIGATOR_API_PORT": "1"}
    started = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "api"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
    assert started.returncode == 2
    assert started.stderr.startswith("error: NAVIGATOR_CHECKIN_SEND_HOURS: ") and "Traceback" not in started.stderr

"""Events end to end, as `make run` starts Navigator: a partner's .ics feed imported by the operator's command into
the running api's database, then residents asking for events in their own words, over SMS (signed webhooks, in
Spanish and English) and web chat: the upcoming ones for their audience and time, nearest first, one text line each,
in their language; a place sent afterwards and MORE go on with the same request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from knowledge.sms import is_gsm7, segments
from tests.e2e.test_referrals import SmsResident, WebResident
from tests.events_feed import import_feed, write_feed
from tests.sms_client import SmsClient


@pytest.fixture(scope="module")
def feed(running) -> str:
    return import_feed(write_feed(running.workdir / "partners.ics", datetime.now(UTC)), running.env)


@pytest.fixture(scope="module")
def sms(running) -> SmsClient:
    return SmsClient(running.bot_url, running.workdir)


def lines_after(reply: str, heading: str) -> list[str]:
    lines = reply.split("\n")
    assert heading in lines, reply
    return lines[lines.index(heading) + 1 :]


def test_the_feed_is_imported_once_and_again_without_duplicates(running, feed):
    assert "new: 7" in feed and "skipped: 0" in feed
    again = import_feed(running.workdir / "partners.ics", running.env)
    assert "new: 0, changed: 0, unchanged: 7" in again


def test_a_web_chat_resident_asks_for_teens_this_weekend_in_englewood(running, feed):
    reply = WebResident(running.bot_url).say("anything for teens this weekend in Englewood?")
    events = lines_after(reply, "Events for teens this weekend near Englewood:")
    assert "Teen Open Gym" in events[0] and "6301 S Halsted St (Englewood)" in events[0]
    assert "Teen Art Night" in events[2]  # Rogers Park: farthest, last
    assert "Senior Bingo" not in reply and "Youth Basketball League" not in reply  # not for teens; next week


def test_an_sms_resident_asks_in_spanish_for_families_near_60623(running, feed, sms):
    reply = SmsResident(sms).say("¿eventos para familias cerca de 60623?")
    events = lines_after(reply, "Eventos para familias cerca de 60623:")
    # South Lawndale's fair first (60623 is there), then Rogers Park's movie night, though it is sooner.
    assert "Feria de salud para familias" in events[0] and "Noche de cine familiar" in events[1]
    assert segments(reply) <= 3 and is_gsm7(reply)


def test_an_sms_resident_gives_the_place_afterwards_and_asks_for_more(running, feed, sms):
    resident = SmsResident(sms)
    first = resident.say("any events this weekend?")
    assert first.startswith("Events this weekend:") and "Send your ZIP or neighborhood" in first
    near = resident.say("Englewood")
    events = lines_after(near, "Events this weekend near Englewood:")
    assert {e.split(": ", 1)[1].split(",")[0] for e in events[:2]} == {"Teen Open Gym", "Senior Bingo"}
    assert near.endswith("Reply MORE for more.")
    more = resident.say("MORE")
    assert "Teen Art Night" in more and "Teen Open Gym" not in more

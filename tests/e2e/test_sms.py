"""The Twilio SMS channel end to end: requests signed with Twilio's RequestValidator against the real bot.

Refused when unsigned or forged; a need answered with programs as TwiML; a replayed MessageSid processed once (after
a restart too: test_bot_resilience.py); STOP silent, HELP and DELETE answered; DELETE erases the tracker; no number
in the stores or logs.
"""

from __future__ import annotations

import base64
import re
import uuid

import httpx
import pytest
from twilio.request_validator import RequestValidator

from api.core.contact_seal import new_keypair, open_sealed
from knowledge.sms import segments
from tests.sms_client import PATH, PRIVATE_KEY, PUBLIC_URL, TOKEN, SmsClient, new_phone, sender_id


@pytest.fixture(scope="module")
def sms(running):
    return SmsClient(running.bot_url, running.workdir)


def test_unsigned_and_forged_requests_are_refused_and_not_processed(sms):
    number = new_phone()
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": number, "To": "+13125550000", "Body": "I need food"}
    good = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + PATH, params)
    forged = [
        None,  # unsigned
        "",
        RequestValidator("not-the-token").compute_signature(PUBLIC_URL + PATH, params),
        RequestValidator(TOKEN).compute_signature("https://evil.example.org" + PATH, params),
        good[:-4] + "AAA=",
    ]
    for signature in forged:
        assert sms.post(params, signature).status_code == 403
    tampered = {**params, "Body": "I need shelter"}
    assert sms.post(tampered, good).status_code == 403
    assert sms.events(sender_id(number)) == []


def test_a_signed_need_with_a_zip_is_answered_with_programs(sms):
    number = new_phone()
    _, messages = sms.send(number, "I need food for my family near 60623")
    reply = "\n".join(messages)
    assert reply.startswith("1. ") and re.search(r"^\d\. .+\d{3}-\d{3}-\d{4}", reply, re.M), reply
    assert "\n2. " in reply and "km" in reply
    assert all(segments(m) <= 3 and m.isascii() for m in messages)
    # the conversation continues under the keyed hash: a number picks a program from the list
    _, details = sms.send(number, "1")
    assert details and details[0] != messages[0]


def test_the_sealed_number_opens_only_with_the_apis_key(sms):
    number = new_phone()
    sms.send(number, "hello")
    user = [e for e in sms.events(sender_id(number)) if e["type"] == "user"]
    assert user
    sealed = user[0]["data"]["metadata"]["sealed_contact"]
    assert open_sealed(sealed, PRIVATE_KEY) == number
    other_private, _ = new_keypair()
    with pytest.raises(ValueError):
        open_sealed(sealed, other_private)


def test_a_replayed_message_sid_is_processed_once(sms):
    # (after a restart too: tests/e2e/test_bot_resilience.py)
    number = new_phone()
    sid = "SM" + uuid.uuid4().hex
    _, first = sms.send(number, "I need a job", sid=sid)
    assert first
    count = len(sms.events(sender_id(number)))
    _, again = sms.send(number, "I need a job", sid=sid)
    assert again == [] and len(sms.events(sender_id(number))) == count
    _, more = sms.send(number, "more")
    assert more and "4. " in more[0]


def test_stop_is_silent_and_ends_replies_until_start(sms):
    number = new_phone()
    _, stop = sms.send(number, "Stop")
    assert stop == []
    _, ignored = sms.send(number, "I need food")
    assert ignored == []
    assert not [e for e in sms.events(sender_id(number)) if e["type"] == "user"]
    _, start = sms.send(number, "START")
    assert start == []
    _, answered = sms.send(number, "I need food near 60623")
    assert answered and "1. " in answered[0]


def test_help_and_ayuda_give_what_navigator_is_and_the_crisis_numbers(sms):
    _, help_en = sms.send(new_phone(), "help")
    _, help_es = sms.send(new_phone(), "AYUDA")
    assert len(help_en) == 1 and len(help_es) == 1
    for text in (help_en[0], help_es[0]):
        assert "911" in text and "988" in text and "877-863-6338" in text and "Navigator" in text
    assert "programs" in help_en[0] and "programas" in help_es[0]


def test_delete_erases_the_conversation_and_confirms_once(sms):
    number = new_phone()
    sms.send(number, "necesito comida en 60623")
    assert sms.events(sender_id(number))
    _, confirm = sms.send(number, "borrar")
    assert len(confirm) == 1 and "borro" in confirm[0]
    assert sms.events(sender_id(number)) == []  # not hidden: gone from the store
    _, fresh = sms.send(number, "hi")
    assert fresh  # a new conversation starts
    _, confirm_en = sms.send(number, "DELETE")
    assert "erased" in confirm_en[0] and sms.events(sender_id(number)) == []


def test_no_phone_number_in_the_tracker_store_the_sms_state_or_the_logs(sms):
    number = "+13125550199"
    sms.send(number, "I need help paying rent, call me at this number")
    sms.send(number, "HELP")
    sms.send(number, "STOP")
    sms.send(number, "START")
    forms = [number, number[1:], number[2:], "312-555-0199", "(312) 555-0199", "555-0199", "5550199"]
    stores = [sms.workdir / "tracker.db", sms.workdir / "sms-state.db", *sms.workdir.glob("run-*.log")]
    for path in stores:
        content = path.read_bytes()
        for form in forms:
            assert form.encode() not in content, f"{form} found in {path.name}"
        # SQLite may keep text in UTF-16 too
        assert number[2:].encode("utf-16-le") not in content
    assert sender_id(number).encode() in (sms.workdir / "tracker.db").read_bytes()


def test_the_key_pair_seals_and_opens():
    from bot.channels.privacy import seal

    private, public = new_keypair()
    token = seal("+1 (773) 555-0100", public)
    assert open_sealed(token, private) == "+17735550100"
    assert base64.b64decode(token)  # base64 ciphertext, not the number
    assert "5550100" not in token


def test_malformed_and_oversized_posts_are_refused_with_a_4xx_and_the_bot_carries_on(sms):
    number = new_phone()
    params = SmsClient.params(number, "I need food")
    url = f"{sms.bot_url}{PATH}"
    signed_long = SmsClient.params(number, "x" * 1601)
    no_sender = {k: v for k, v in SmsClient.params(number, "I need food").items() if k != "From"}
    attempts = {
        "2 MB form": httpx.post(url, data={**params, "Body": "y" * 2_000_000}, headers={"X-Twilio-Signature": "a"}),
        "JSON instead of a form": httpx.post(url, json=params, headers={"X-Twilio-Signature": SmsClient.sign(params)}),
        "bytes that are no form": httpx.post(
            url,
            content=b"\xff\xfe%%%&&&=\x00" * 100,
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "a"},
        ),
        "signed, 1,601 characters": sms.post(signed_long, SmsClient.sign(signed_long)),
        "signed, no From": sms.post(no_sender, SmsClient.sign(no_sender)),
    }
    codes = {name: answer.status_code for name, answer in attempts.items()}
    assert codes == {
        "2 MB form": 413,
        "JSON instead of a form": 403,
        "bytes that are no form": 403,
        "signed, 1,601 characters": 400,
        "signed, no From": 400,
    }
    assert sms.events(sender_id(number)) == []  # none of them reached the conversation
    _, replies = sms.send(number, "I need food near 60623")
    assert replies and replies[0].startswith("1. ")

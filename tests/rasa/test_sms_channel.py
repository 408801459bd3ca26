"""The SMS channel's parts in the bot's environment: keywords, TwiML, state that survives a restart, erasing."""

import asyncio
import base64
import xml.etree.ElementTree as ET

import pytest
from nacl.public import PrivateKey, SealedBox
from rasa.core.agent import Agent
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.erase import erase_conversation
from bot.channels.privacy import sender_id
from bot.channels.sms_state import SmsState
from bot.channels.twilio_sms import bot_texts, keyword, twiml


@pytest.mark.parametrize(
    ("body", "expected"),
    [("STOP", "STOP"), (" stop ", "STOP"), ("Stop.", "STOP"), ("ayuda", "AYUDA"), ("stop texting me", None),
     ("60623", None), ("", None)],
)  # fmt: skip
def test_a_keyword_is_one_word_in_any_case(body, expected):
    assert keyword(body) == expected


def test_each_bot_message_becomes_messages_of_at_most_three_segments():
    long_list = "\n".join(f"{n}. Program {n}: " + "help with things " * 8 + f"312-555-01{n:02d}" for n in range(1, 8))
    response = twiml(bot_texts([{"text": "Está bien, ¿qué necesita?"}, {"text": long_list}, {"custom": {"x": 1}}]))
    messages = [m.text for m in ET.fromstring(response.body).iter("Message")]
    assert messages[0] == "Esta bien, ¿qué necesita?"  # GSM-7: é stays, á becomes a
    assert len(messages) > 2 and all(len(m) <= 459 for m in messages)
    assert "\n".join(messages[1:]) == long_list  # split between items; nothing lost


def test_sender_id_is_keyed_and_stable():
    assert sender_id("+1 (312) 555-0100", "k1") == sender_id("+13125550100", "k1")
    assert sender_id("+13125550100", "k1") != sender_id("+13125550100", "k2")
    assert "3125550100" not in sender_id("+13125550100", "k1")


def test_handled_sids_and_opt_outs_survive_a_new_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first = SmsState(url)
    assert first.claim("SM1") and not first.claim("SM1")
    first.claim("SM2")
    first.release("SM2")  # failed processing: the retry may be handled
    first.set_opted_out("sms-a", True)
    first.close()
    second = SmsState(url)
    assert not second.claim("SM1") and second.claim("SM2")
    assert second.is_opted_out("sms-a") and not second.is_opted_out("sms-b")
    second.set_opted_out("sms-a", False)
    assert not second.is_opted_out("sms-a")


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_erase_removes_only_that_conversation(kind, tmp_path):
    domain = Domain.empty()
    store = InMemoryTrackerStore(domain) if kind == "memory" else SQLTrackerStore(domain, db=str(tmp_path / "t.db"))
    agent = Agent(domain=domain, tracker_store=store, lock_store=InMemoryLockStore())
    assert isinstance(agent.tracker_store, FailSafeTrackerStore)  # a wrapper erase must see through

    async def scenario() -> tuple[int, int]:
        for sender in ("sms-gone", "sms-kept"):
            tracker = DialogueStateTracker(sender, domain.slots)
            tracker.update(UserUttered("my text"))
            await agent.tracker_store.save(tracker)
        await erase_conversation(agent, "sms-gone")
        gone = await agent.tracker_store.retrieve("sms-gone")
        kept = await agent.tracker_store.retrieve("sms-kept")
        return len(gone.events) if gone else 0, len(kept.events)

    gone, kept = asyncio.run(scenario())
    assert gone == 0 and kept == 1


def channel(tmp_path, **overrides):
    from bot.channels.settings import SmsSettings
    from bot.channels.twilio_sms import TwilioSmsInput

    settings = {
        "twilio_auth_token": "token",
        "sender_id_key": "key",
        "contact_public_key": "",
        "sms_state_url": f"sqlite:///{tmp_path / 'state.db'}",
        **overrides,
    }
    return TwilioSmsInput(SmsSettings(**settings))


URL = "https://sms.example.org/webhooks/twilio_sms/webhook"
FORM = {"MessageSid": "SM1", "From": "+13125550100", "To": "+13125550000", "Body": "necesito comida, me llamo Ana"}


def call(sms, on_new_message, form=FORM, token="token"):
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(token).compute_signature(URL, form)
    response = asyncio.run(
        sms.process(url=URL, form=form, signature=signature, agent=None, on_new_message=on_new_message)
    )
    messages = [m.text for m in ET.fromstring(response.body).iter("Message")] if response.status == 200 else []
    return response.status, messages


def test_the_bot_receives_a_hashed_sender_and_a_sealed_number(tmp_path):
    key = PrivateKey.generate()
    sms = channel(tmp_path, contact_public_key=base64.b64encode(bytes(key.public_key)).decode())
    received = []

    async def bot(message):
        received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "Hola"})

    assert call(sms, bot) == (200, ["Hola"])
    [message] = received
    assert message.sender_id == sender_id("+13125550100", "key") and message.input_channel == "twilio_sms"
    assert message.text == FORM["Body"]
    sealed = base64.b64decode(message.metadata["sealed_contact"])
    assert SealedBox(key).decrypt(sealed) == b"+13125550100"
    assert "5550100" not in repr(message.metadata)


def test_a_forged_or_unconfigured_request_reaches_no_bot(tmp_path):
    async def bot(message):
        raise AssertionError("must not be called")

    assert call(channel(tmp_path), bot, token="other")[0] == 403
    assert call(channel(tmp_path, twilio_auth_token=""), bot)[0] == 503
    assert call(channel(tmp_path, sender_id_key=""), bot)[0] == 503
    assert call(channel(tmp_path), bot, form={**FORM, "From": ""})[0] == 400


def test_when_the_bot_fails_the_resident_gets_the_crisis_numbers_and_the_retry_is_processed(tmp_path, caplog):
    sms = channel(tmp_path)

    async def broken(message):
        raise RuntimeError(f"failed on {message.text}")

    status, messages = call(sms, broken)
    assert status == 200 and len(messages) == 1
    assert "911" in messages[0] and "988" in messages[0] and "Perdon" in messages[0]  # in the resident's language
    assert "SMS message failed: RuntimeError" in caplog.text  # logged, but only its type:
    assert "comida" not in caplog.text and "Ana" not in caplog.text and "5550100" not in caplog.text

    async def working(message):
        await message.output_channel.send_response(message.sender_id, {"text": "Lista de programas"})

    assert call(sms, working) == (200, ["Lista de programas"])  # Twilio's retry of the same MessageSid
    assert call(sms, working) == (200, [])  # and only once


def signed(form, token="token"):
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).compute_signature(URL, form)


def test_a_reply_slower_than_the_deadline_goes_out_through_the_rest_api(tmp_path, caplog):
    from tests.twilio_standin import ACCOUNT_SID, TwilioStandIn

    caplog.set_level("INFO")
    long_reply = "\n".join(f"{n}. Program {n}: " + "help with things " * 8 + "312-555-0100" for n in range(1, 8))

    async def slow(message):
        await asyncio.sleep(0.6)
        await message.output_channel.send_response(message.sender_id, {"text": long_reply})

    with TwilioStandIn("token", failures=[503]) as twilio:  # one outage first: retried
        sms = channel(tmp_path, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio.url, sms_reply_deadline_s=0.2)

        async def scenario():
            started = asyncio.get_running_loop().time()
            response = await sms.process(url=URL, form=FORM, signature=signed(FORM), agent=None, on_new_message=slow)
            answered_after = asyncio.get_running_loop().time() - started
            await asyncio.gather(*sms._late)
            return response, answered_after

        response, answered_after = asyncio.run(scenario())
    assert response.status == 200 and list(ET.fromstring(response.body).iter("Message")) == []
    assert answered_after < 0.5  # Twilio got its answer before the deadline ran out, not after the bot
    assert all(s.to == FORM["From"] and s.sender == FORM["To"] for s in twilio.sent)
    parts = [s.body for s in twilio.sent]
    assert len(parts) > 1 and all(len(p) <= 459 for p in parts) and "\n".join(parts) == long_reply  # in order
    assert "5550100" not in caplog.text and "Program" not in caplog.text
    sample = sms.metrics.registry.get_sample_value
    assert sample("navigator_sms_messages_total", {"outcome": "answered_late"}) == 1
    assert sample("navigator_sms_messages_total", {"outcome": "answered_inline"}) == 0
    assert sample("navigator_sms_late_parts_total", {"result": "sent"}) == len(parts)
    # The bot took 0.6 s by the event loop's clock; the histogram reads another one, a hair apart.
    assert sample("navigator_sms_reply_seconds_count") == 1 and sample("navigator_sms_reply_seconds_sum") >= 0.55


def test_at_most_the_configured_number_of_messages_are_worked_on_at_once(tmp_path):
    sms = channel(tmp_path, sms_concurrency=2)
    busy, most, waiting = 0, 0, []

    async def bot(message):
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        # Long enough for all seven to have arrived (each claims its MessageSid in a thread first) before a slot frees.
        await asyncio.sleep(0.25)
        waiting.append(sms.metrics.registry.get_sample_value("navigator_sms_waiting"))
        busy -= 1
        await message.output_channel.send_response(message.sender_id, {"text": f"re {message.text}"})

    async def scenario():
        forms = [{**FORM, "MessageSid": f"SM{i}", "From": f"+1312555{i:04d}", "Body": f"m{i}"} for i in range(7)]
        answers = await asyncio.gather(
            *(sms.process(url=URL, form=f, signature=signed(f), agent=None, on_new_message=bot) for f in forms)
        )
        return [[m.text for m in ET.fromstring(a.body).iter("Message")] for a in answers]

    assert asyncio.run(scenario()) == [[f"re m{i}"] for i in range(7)]
    assert most == 2 and max(waiting) == 5  # the other five waited their turn, and the gauge showed it
    sample = sms.metrics.registry.get_sample_value
    assert sample("navigator_sms_messages_total", {"outcome": "answered_inline"}) == 7
    assert sample("navigator_sms_waiting") == 0 and sample("navigator_sms_working") == 0


def test_the_metrics_endpoint_serves_counts_without_numbers(tmp_path):
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sms = channel(tmp_path, bot_metrics_port=port)
    sms.blueprint(lambda message: None)
    assert call(sms, None, token="other")[0] == 403
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'navigator_sms_messages_total{outcome="refused_signature"} 1.0' in page
    assert "5550100" not in page


def test_a_refused_late_reply_is_not_retried_and_names_no_one(tmp_path, caplog):
    from tests.twilio_standin import ACCOUNT_SID, TwilioStandIn

    async def slow(message):
        await asyncio.sleep(0.3)
        await message.output_channel.send_response(message.sender_id, {"text": "Hola"})

    with TwilioStandIn("other token") as twilio:  # wrong credentials: 401, and nothing to gain by retrying
        sms = channel(tmp_path, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio.url, sms_reply_deadline_s=0.1)

        async def scenario():
            await sms.process(url=URL, form=FORM, signature=signed(FORM), agent=None, on_new_message=slow)
            await asyncio.gather(*sms._late)

        asyncio.run(scenario())
    assert twilio.sent == []
    assert "SMS reply refused by Twilio: HTTP 401, code 20003" in caplog.text and "5550100" not in caplog.text

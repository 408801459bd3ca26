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
        "service_token": "",
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


PHOTO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


def test_a_texted_photo_reaches_the_bot_as_media_url_even_without_words(tmp_path):
    sms = channel(tmp_path)
    received = []

    async def bot(message):
        received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "Got it"})

    mms = {**FORM, "NumMedia": "1", "MediaUrl0": PHOTO, "MediaContentType0": "image/jpeg"}
    assert call(sms, bot, form={**mms, "MessageSid": "MM1", "Body": "63rd and Halsted"}) == (200, ["Got it"])
    assert call(sms, bot, form={**mms, "MessageSid": "MM2", "Body": ""}) == (200, ["Got it"])  # a photo alone
    voice = {**mms, "MessageSid": "MM3", "MediaContentType0": "audio/amr"}  # not a picture: not passed on
    plain_http = {**mms, "MessageSid": "MM4", "MediaUrl0": "http://example.org/x.jpg"}
    call(sms, bot, form=voice)
    call(sms, bot, form=plain_http)
    call(sms, bot, form={**FORM, "MessageSid": "SM9", "NumMedia": "0"})
    assert [(m.text, (m.metadata or {}).get("media_url")) for m in received] == [
        ("63rd and Halsted", PHOTO), ("", PHOTO), (FORM["Body"], None), (FORM["Body"], None), (FORM["Body"], None)
    ]  # fmt: skip


def test_blank_fields_are_kept_as_twilio_signed_them(tmp_path):
    from types import SimpleNamespace
    from urllib.parse import urlencode

    from bot.channels.twilio_sms import twilio_form

    # A photo without text, as Twilio posts it: Body and FromCity are blank, and its signature covers them.
    mms = {**FORM, "Body": "", "FromCity": "", "NumMedia": "1", "MediaUrl0": PHOTO, "MediaContentType0": "image/png"}
    request = SimpleNamespace(
        content_type="application/x-www-form-urlencoded; charset=utf-8", body=urlencode(mms).encode(), form={}
    )
    assert twilio_form(request) == mms
    assert channel(tmp_path)._signed(URL, twilio_form(request), signed(mms))


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
    assert "refused by Twilio: HTTP 401, code 20003" in caplog.text and "5550100" not in caplog.text


# --- follow-up check-ins: a bare 1, 2 or 3 may answer the api's check-in SMS instead of picking from a list ---

SERVICE_TOKEN = "service-token"
SENDER = sender_id(FORM["From"], "key")
T = 1_780_000_000.0  # 2026-05-28T20:26:40Z


def checkin_api(status=200, reply="Thank you. Outreach will call you again within 2 business days.", delay=0.0):
    """A stand-in for the api's POST /api/v1/checkins/answers that records what it was sent."""
    import json
    import time
    from http.server import BaseHTTPRequestHandler

    from tests.local_server import LocalServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(
                {"path": self.path, "authorization": self.headers.get("Authorization"), "raw": raw,
                 "json": json.loads(raw)}
            )  # fmt: skip
            time.sleep(delay)
            body = json.dumps({"reply": reply} if status == 200 else {"detail": "x"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return LocalServer(Handler), received


def conversation_agent(*conversations):
    """An agent whose tracker store holds (sender, [events]) conversations, as Rasa keeps them."""
    domain = Domain.empty()
    agent = Agent(domain=domain, tracker_store=InMemoryTrackerStore(domain), lock_store=InMemoryLockStore())

    async def save():
        for sender, events in conversations:
            tracker = DialogueStateTracker(sender, domain.slots)
            for event in events:
                tracker.update(event)
            await agent.tracker_store.save(tracker)

    asyncio.run(save())
    return agent


class Bot:
    """The conversation (Rasa's on_new_message): answers every message and remembers what it got."""

    def __init__(self):
        self.received = []

    async def __call__(self, message):
        self.received.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": f"Program {message.text}: details"})


def text(sms, body, bot, agent=None, sid="SM1"):
    form = {**FORM, "MessageSid": sid, "Body": body}
    response = asyncio.run(sms.process(url=URL, form=form, signature=signed(form), agent=agent, on_new_message=bot))
    assert response.status == 200
    return [m.text for m in ET.fromstring(response.body).iter("Message")]


def test_a_bare_digit_answering_a_waiting_checkin_gets_the_apis_reply_and_never_reaches_the_bot(tmp_path):
    from rasa.shared.core.events import BotUttered

    agent = conversation_agent(
        (SENDER, [UserUttered("food 60623", timestamp=T), BotUttered("1. Pantry", timestamp=T + 1),
                  UserUttered("yes refer me", timestamp=T + 100.5), BotUttered("Done", timestamp=T + 101)]),
    )  # fmt: skip
    server, received = checkin_api(reply="Sorry to hear that. Outreach will call you within 2 business days.")
    bot = Bot()
    with server as api:
        sms = channel(tmp_path, api_url=api.url, service_token=SERVICE_TOKEN)
        assert text(sms, "2", bot, agent) == ["Sorry to hear that. Outreach will call you within 2 business days."]
    assert bot.received == []  # the list item 2 was not shown instead
    [request] = received
    assert request["path"] == "/api/v1/checkins/answers"
    assert request["authorization"] == f"Bearer {SERVICE_TOKEN}"
    assert request["json"] == {
        "sender_id": SENDER,
        "answer": "2",
        "last_message_at": "2026-05-28T20:28:20.500000+00:00",
    }
    assert b"5550100" not in request["raw"]
    sample = sms.metrics.registry.get_sample_value
    assert sample("navigator_sms_messages_total", {"outcome": "checkin_answer"}) == 1
    assert sample("navigator_sms_messages_total", {"outcome": "answered_inline"}) == 0


def test_a_digit_with_no_checkin_waiting_picks_from_the_list_as_before(tmp_path):
    server, received = checkin_api(status=404)
    bot = Bot()
    with server as api:
        sms = channel(tmp_path, api_url=api.url, service_token=SERVICE_TOKEN)
        assert text(sms, "1", bot, conversation_agent()) == ["Program 1: details"]
    assert len(received) == 1 and bot.received == ["1"]
    assert sms.metrics.registry.get_sample_value("navigator_sms_messages_total", {"outcome": "checkin_answer"}) == 0


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        ("down", "ClientConnectorError"),
        ("500", "api answered HTTP 500"),
        ("slow", "TimeoutError"),
        ("no reply", "api answered 200 without a reply"),
    ],
)
def test_when_the_api_cannot_say_the_digit_goes_to_the_conversation_and_the_log_names_no_one(
    tmp_path, caplog, failure, logged
):
    import contextlib
    import time

    caplog.set_level("INFO")
    if failure == "down":
        server, received, url = contextlib.nullcontext(), [], f"http://127.0.0.1:{free_port()}"
    else:
        options = {"500": {"status": 500}, "slow": {"delay": 1.5}, "no reply": {"reply": ""}}[failure]
        server, received = checkin_api(**options)
    bot = Bot()
    with server as api:
        sms = channel(tmp_path, api_url=url if api is None else api.url, service_token=SERVICE_TOKEN)
        sms.checkin_timeout_s = 0.3
        started = time.monotonic()
        assert text(sms, "3", bot, conversation_agent()) == ["Program 3: details"]
        assert time.monotonic() - started < 1.2  # the resident did not wait for the slow api
    assert bot.received == ["3"] and len(received) == (0 if failure == "down" else 1)
    assert f"check-in answer not checked: {logged}" in caplog.text
    assert "5550100" not in caplog.text and SENDER not in caplog.text and SERVICE_TOKEN not in caplog.text


def test_only_a_bare_1_2_or_3_asks_the_api(tmp_path):
    server, received = checkin_api()
    bot = Bot()
    with server as api:
        sms = channel(tmp_path, api_url=api.url, service_token=SERVICE_TOKEN)
        agent = conversation_agent()
        not_answers = ["12", "1.", "yes", "1 2", "4", "0", "one", "2 please"]
        for n, body in enumerate(not_answers):
            assert text(sms, body, bot, agent, sid=f"SM{n}") == [f"Program {body}: details"]
        assert received == [] and bot.received == not_answers
        assert text(sms, " 3\n", bot, agent, sid="SM-last") == [  # spaces around it, as phones send them
            "Thank you. Outreach will call you again within 2 business days."
        ]
    assert [r["json"]["answer"] for r in received] == ["3"]


def test_without_a_service_token_the_api_is_never_asked(tmp_path):
    server, received = checkin_api()
    bot = Bot()
    with server as api:
        sms = channel(tmp_path, api_url=api.url)
        assert text(sms, "1", bot, conversation_agent()) == ["Program 1: details"]
    assert received == [] and bot.received == ["1"]


@pytest.mark.parametrize("who", ["known", "new"])
def test_last_message_at_is_the_latest_message_of_that_resident_or_null(tmp_path, who):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

    agent = conversation_agent(
        (SENDER, [UserUttered("hi", timestamp=T), UserUttered("food", timestamp=T + 3600),
                  ActionExecuted("action_listen", timestamp=T + 3601), BotUttered("1. Pantry", timestamp=T + 3602),
                  SlotSet("zip", "60623", timestamp=T + 9000)]),
        (sender_id("+17735550199", "key"), [UserUttered("later, someone else", timestamp=T + 90_000)]),
    )  # fmt: skip
    form_from = FORM["From"] if who == "known" else "+13125550111"
    server, received = checkin_api(status=404)
    with server as api:
        sms = channel(tmp_path, api_url=api.url, service_token=SERVICE_TOKEN)
        form = {**FORM, "From": form_from, "Body": "1"}
        asyncio.run(sms.process(url=URL, form=form, signature=signed(form), agent=agent, on_new_message=Bot()))
    [request] = received
    assert request["json"]["sender_id"] == sender_id(form_from, "key")
    # The resident's own latest message, not the bot's later answer, another resident's message or a slot.
    expected = "2026-05-28T21:26:40+00:00" if who == "known" else None
    assert request["json"]["last_message_at"] == expected


def test_last_message_at_on_a_sql_tracker_store_is_one_query_with_the_same_answer(tmp_path):
    """Production keeps conversations in SQL behind Rasa's fail-safe wrapper: the latest user event is read with one
    MAX() there (a full tracker load for every bare digit slowed a burst down), and it is the same moment."""
    from types import SimpleNamespace

    from rasa.shared.core.events import ActionExecuted, BotUttered

    from bot.channels.twilio_sms import last_message_at

    domain = Domain.empty()
    sql = SQLTrackerStore(domain, db=str(tmp_path / "tracker.db"))
    events = [
        UserUttered("hi", timestamp=T),
        UserUttered("food", timestamp=T + 3600),
        ActionExecuted("action_listen", timestamp=T + 3601),
        BotUttered("1. Pantry", timestamp=T + 3602),
    ]
    asyncio.run(sql.save(DialogueStateTracker.from_events(SENDER, events, domain=domain)))
    memory = InMemoryTrackerStore(domain)
    asyncio.run(memory.save(DialogueStateTracker.from_events(SENDER, events, domain=domain)))
    for store in (FailSafeTrackerStore(sql), memory):
        agent = SimpleNamespace(tracker_store=store)
        assert asyncio.run(last_message_at(agent, SENDER)) == T + 3600
        assert asyncio.run(last_message_at(agent, "sms-someone-else")) is None

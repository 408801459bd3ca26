"""The referral actions, driven with Tracker.from_dict and CollectingDispatcher against a real api process: the form's
questions and answers, consent, the code, STATUS, CANCEL REFERRAL, and the outbox that keeps a consented referral
while the api is down and delivers it exactly once when it is back."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import settings as actions_settings
from actions.referral import (
    ActionAskReferralConsent,
    ActionCancelReferral,
    ActionReferralStatus,
    ActionStartReferral,
    ActionSubmitReferral,
    ValidateReferralForm,
)
from actions.referral_outbox import Outbox
from api.core.contact_box import new_key
from api.core.contact_seal import new_keypair, open_sealed
from bot.channels.privacy import seal
from tests.stack import ApiProcess, free_port

PRIVATE, PUBLIC = new_keypair()
SERVICE = "service-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def api_url(tmp_path_factory):
    env = {
        "NAVIGATOR_QDRANT_PATH": str(tmp_path_factory.mktemp("qdrant")),
        "NAVIGATOR_API_LOG_LEVEL": "warning",
        "NAVIGATOR_SERVICE_TOKEN": SERVICE,
        "NAVIGATOR_REFERRAL_CONTACT_KEY": new_key(),
        "NAVIGATOR_CONTACT_PRIVATE_KEY": PRIVATE,
    }
    with ApiProcess(env) as api:
        yield api.url


def configure(monkeypatch, tmp_path, api_url: str) -> None:
    monkeypatch.setenv("NAVIGATOR_API_URL", api_url)
    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", SERVICE)
    monkeypatch.setenv("NAVIGATOR_CONTACT_PUBLIC_KEY", PUBLIC)
    monkeypatch.setenv("NAVIGATOR_REFERRAL_OUTBOX", str(tmp_path / "outbox.db"))
    monkeypatch.setenv("NAVIGATOR_API_RETRIES", "0")
    actions_settings.get_settings.cache_clear()


@pytest.fixture
def api(api_url, monkeypatch, tmp_path):
    configure(monkeypatch, tmp_path, api_url)
    yield api_url
    actions_settings.get_settings.cache_clear()


def tracker(text="", *, sender="unit", channel="rest", intent="nlu_fallback", metadata=None, **slots):
    base = {"language": "en", "location": None, "need": "food", "results": None, "chosen_program": None}
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {**base, **slots},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.9},
                "entities": [],
                "metadata": metadata or {},
            },
            "events": [{"event": "user", "text": text, "input_channel": channel, "parse_data": {}}],
            "active_loop": {"name": "referral_form"},
        }
    )


def run(action, t):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, t, {})
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    texts = [m.get("text") or "" for m in dispatcher.messages]
    return texts, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def validate(slot: str, value: str, **kw):
    form = ValidateReferralForm()
    dispatcher = CollectingDispatcher()
    t = tracker(value, requested_slot=slot, **kw)
    result = getattr(form, f"validate_{slot}")(value, dispatcher, t, {})
    return result, [m.get("text") or "" for m in dispatcher.messages]


def required(**slots) -> list[str]:
    form = ValidateReferralForm()
    return asyncio.run(form.required_slots([], CollectingDispatcher(), tracker(**slots), {}))


def test_the_offer_says_who_when_what_is_shared_and_how_to_cancel(api):
    texts, slots = run(ActionStartReferral(), tracker("CONNECT", results=["chi-001", "chi-002", "chi-003", "x"]))
    assert all(w in texts[0] for w in ("CSCC outreach", "2 business days", "180 days", "CANCEL REFERRAL"))
    assert slots["referral_programs"] == ["chi-001", "chi-002", "chi-003"] and slots["referral_need"] == "food"
    assert len(slots["referral_key"]) == 32 and slots["referral_consent"] is None  # a clean form


def test_the_questions_follow_the_answers():
    assert required(referral_contact_method="self") == ["referral_need", "referral_name", "referral_contact_method"]
    assert required(referral_contact_method="text", referral_safety="neither")[-1] == "referral_safety"
    assert "referral_voicemail" not in required(referral_contact_method="text", referral_safety="text")
    assert "referral_voicemail" in required(referral_contact_method="call", referral_safety="both")
    assert required(referral_consent="no") == []  # cancelled or declined: the form ends


def test_answers_are_read_in_both_languages_and_the_channel_words():
    assert validate("referral_name", "my name is Ana")[0] == {"referral_name": "Ana"}
    assert validate("referral_name", "SKIP")[0] == {"referral_name": "-"}
    assert validate("referral_name", "I need food for my 3 kids tonight please")[0] == {"referral_name": None}
    assert validate("referral_name", "cancelar")[0]["referral_consent"] == "no"
    assert validate("referral_contact_method", "3")[0] == {"referral_contact_method": "self"}  # web: 3 = myself
    on_sms, _ = validate("referral_contact_method", "3", channel="twilio_sms")
    assert on_sms["referral_contact_method"] == "other_number"
    assert validate("referral_contact_method", "llamada")[0] == {"referral_contact_method": "call"}
    _, again = validate("referral_contact_method", "banana")
    assert again == ["Reply 1, 2 or 3."]
    assert validate("referral_safety", "4")[0] == {"referral_safety": "neither"}
    assert validate("referral_safety", "solo texto")[0] == {"referral_safety": "text"}
    assert validate("referral_language", "Español")[0] == {"referral_language": "es"}
    assert validate("referral_safe_times", "cualquiera")[0] == {"referral_safe_times": "-"}


def test_on_sms_the_number_is_the_sealed_sender_and_is_never_asked(api):
    sealed = seal("+17735550100", PUBLIC)
    result, _ = validate("referral_contact_method", "1", channel="twilio_sms", metadata={"sealed_contact": sealed})
    assert result == {"referral_contact_method": "text", "referral_contact": sealed}


def test_a_typed_number_is_sealed_at_once_and_a_bad_one_asked_again(api):
    result, _ = validate("referral_contact", "(773) 555-0100")
    assert "555" not in result["referral_contact"]
    assert open_sealed(result["referral_contact"], PRIVATE) == "+17735550100"
    for bad in ("911", "555-0100", "0773 555 0100", "1 (988) 123 4567"):
        result, texts = validate("referral_contact", bad)
        assert result == {"referral_contact": None} and "10 digits" in texts[0], bad


def test_consent_is_an_explicit_yes_or_si():
    for yes in ("YES", "yes!", "Sí", "si"):
        result, _ = validate("referral_consent", yes)
        assert result["referral_consent"] == "yes" and result["referral_consent_at"], yes
    for unclear in ("ok", "sure", "yes but call after 5", "y"):
        result, texts = validate("referral_consent", unclear)
        assert result == {"referral_consent": None} and "clear YES" in texts[0], unclear
    assert validate("referral_consent", "NO")[0] == {"referral_consent": "no"}


def answers(**changes) -> dict:
    """The slots of a resident who answered every question (web chat, text only, after 6 pm)."""
    return {
        "referral_need": "food",
        "referral_name": "Ana",
        "referral_contact_method": "text",
        "referral_contact": seal("+17735550100", PUBLIC),
        "referral_safety": "text",
        "referral_safe_times": "after 6 pm",
        "referral_language": "es",
        "referral_consent": "yes",
        "referral_consent_at": "2026-11-25T18:00:00+00:00",
        "referral_programs": ["chi-018-dfss-community-service-centers"],
        "referral_needs": ["food"],
        "referral_area": "South Lawndale",
        "referral_key": uuid.uuid4().hex,
        **changes,
    }


def consented(sender: str, **changes):
    slots = answers(**changes)
    consent, _ = run(ActionAskReferralConsent(), tracker("after 6 pm", sender=sender, location="60623", **slots))
    slots["referral_consent_text"] = consent[0]
    return tracker("YES", sender=sender, **slots), consent[0]


def test_the_consent_text_names_how_when_the_need_and_the_programs(api):
    slots = answers(referral_area=None, referral_needs=None)
    _, slots = run(ActionAskReferralConsent(), tracker("1", location="60623", **slots))
    text = slots["referral_consent_text"]
    assert "text the number you gave" in text and "(after 6 pm)" in text and "about: food" in text
    assert "Reply YES" in text and slots["referral_area"] == "South Lawndale" and slots["referral_needs"]


def referrals_of(api_url: str, sender: str) -> list[dict]:
    answer = httpx.get(
        f"{api_url}/api/v1/conversations/{sender}/referrals", headers={"Authorization": f"Bearer {SERVICE}"}
    )
    assert answer.status_code == 200
    return answer.json()


def test_a_consented_referral_gets_a_code_once_however_often_it_is_submitted(api):
    sender = f"web-{uuid.uuid4()}"
    t, _ = consented(sender)
    texts, slots = run(ActionSubmitReferral(), t)
    assert "Your reference is CSCC-" in texts[0] and slots["referral_code"].startswith("CSCC-")
    run(ActionSubmitReferral(), t)  # the action retried (same idempotency key): nothing new
    assert [r["code"] for r in referrals_of(api, sender)] == [slots["referral_code"]]
    status, _ = run(ActionReferralStatus(), tracker("STATUS", sender=sender))
    assert slots["referral_code"] in status[0] and "received" in status[0]


def test_with_the_api_down_the_referral_is_kept_and_delivered_once_when_it_returns(api_url, monkeypatch, tmp_path):
    sender = f"web-{uuid.uuid4()}"
    configure(monkeypatch, tmp_path, f"http://127.0.0.1:{free_port()}")
    t, _ = consented(sender)
    texts, slots = run(ActionSubmitReferral(), t)
    assert "saved" in texts[0] and "211" in texts[0] and "referral_code" not in slots  # the truth, and a way on
    outbox = Outbox(tmp_path / "outbox.db")
    assert len(outbox.pending(sender)) == 1
    status, _ = run(ActionReferralStatus(), tracker("STATUS", sender=sender))
    assert "saved and waiting" in status[0]
    configure(monkeypatch, tmp_path, api_url)  # the api is back
    status, _ = run(ActionReferralStatus(), tracker("STATUS", sender=sender))
    [made] = referrals_of(api_url, sender)
    assert made["code"] in status[0] and outbox.pending() == []
    run(ActionReferralStatus(), tracker("STATUS", sender=sender))
    assert len(referrals_of(api_url, sender)) == 1
    actions_settings.get_settings.cache_clear()


def test_no_consent_sends_nothing_and_gives_the_programs_numbers(api):
    sender = f"web-{uuid.uuid4()}"
    t, _ = consented(sender, referral_consent="no")
    texts, _ = run(ActionSubmitReferral(), t)
    assert "no request was sent" in texts[0] and "call them yourself" in texts[0]
    assert referrals_of(api, sender) == []
    unsafe, _ = run(ActionSubmitReferral(), consented(sender, referral_consent="no", referral_safety="neither")[0])
    assert "no one will text or call you" in unsafe[0]


def test_cancel_withdraws_and_erases_even_when_the_api_is_down_at_first(api_url, monkeypatch, tmp_path):
    sender = f"sms-{uuid.uuid4().hex}"
    configure(monkeypatch, tmp_path, api_url)
    run(ActionSubmitReferral(), consented(sender)[0])
    [made] = referrals_of(api_url, sender)
    configure(monkeypatch, tmp_path, f"http://127.0.0.1:{free_port()}")
    texts, _ = run(ActionCancelReferral(), tracker("CANCEL REFERRAL", sender=sender))
    assert "saved" in texts[0]
    assert referrals_of(api_url, sender)[0]["status"] == "new"  # not yet: the api was down
    configure(monkeypatch, tmp_path, api_url)
    run(ActionReferralStatus(), tracker("STATUS", sender=sender))  # any later turn delivers what is queued
    assert referrals_of(api_url, sender)[0]["status"] == "closed"
    again, _ = run(ActionCancelReferral(), tracker("CANCEL REFERRAL", sender=sender))
    assert "no open referral" in again[0] and made["code"]
    actions_settings.get_settings.cache_clear()

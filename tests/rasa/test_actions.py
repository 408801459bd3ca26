"""Every custom action, driven with Tracker.from_dict and CollectingDispatcher against the real api over HTTP."""

import re

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import settings as actions_settings
from actions.api_client import ProgramSummary
from actions.crisis import ActionCrisisPrograms
from actions.formatting import MAX_CHARS, program_cards, results_message
from actions.search import ActionProgramDetails, ActionSearchPrograms, ActionSetLocation, ActionShowMore
from knowledge.sms import gsm7_length
from tests.stack import ApiProcess, free_port


@pytest.fixture(scope="module")
def api_url(tmp_path_factory):
    env = {"NAVIGATOR_QDRANT_PATH": str(tmp_path_factory.mktemp("qdrant")), "NAVIGATOR_API_LOG_LEVEL": "warning"}
    with ApiProcess(env) as api:
        yield api.url


@pytest.fixture
def api_down(monkeypatch):
    monkeypatch.setenv("NAVIGATOR_API_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NAVIGATOR_API_RETRIES", "0")
    actions_settings.get_settings.cache_clear()
    yield
    actions_settings.get_settings.cache_clear()


def tracker(text="", intent="find_program", entities=(), **slots):
    base = {"language": "en", "location": None, "need": None, "results": None, "offset": 0.0, "crisis_type": None}
    return Tracker.from_dict(
        {
            "sender_id": "unit",
            "slots": {**base, **slots},
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": list(entities)},
            "events": [],
            "active_loop": {},
        }
    )


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


def test_search_lists_numbered_programs_and_remembers_them(api):
    messages, slots = run(ActionSearchPrograms(), tracker("I need free groceries for my kids"))
    reply = texts(messages)
    assert reply.startswith("1. ") and "\n2. " in reply and "Reply 1-3" in reply
    assert "ZIP" in reply  # no place yet
    assert "ZIP" in messages[0]["custom"]["footer"]  # the cards ask for it too
    assert slots["need"] == "I need free groceries for my kids"
    assert len(slots["results"]) == 3
    assert gsm7_length(reply) <= MAX_CHARS and reply.isascii()


def test_search_sends_the_same_list_as_cards_for_screens(api):
    messages, slots = run(ActionSearchPrograms(), tracker("food pantry", entities=(), location="60623"))
    [message] = messages
    cards = message["custom"]
    assert cards["kind"] == "programs" and cards["footer"] in message["text"]
    assert [c["id"] for c in cards["programs"]] == slots["results"]
    assert any(card["distance_km"] is not None for card in cards["programs"])  # a place was given
    for card in cards["programs"]:
        assert f"{card['number']}. {card['name']}" in message["text"]
        # each card is reachable: a phone to call, a text line or a website
        assert card["phone"] or card["text_line"] or card["website"]
        if card["phone"]:
            assert card["phone"] == card["contact"] and re.fullmatch(r"[\d\-]+", card["phone"])
        # when the api says the program's facts were verified, in words (the SMS text has no such line)
        assert re.fullmatch(r"Facts checked: [A-Z][a-z]+ \d{4}", card["facts_checked"])
    assert "Facts checked" not in message["text"]


def test_search_in_spanish_answers_in_spanish(api):
    messages, _ = run(ActionSearchPrograms(), tracker("necesito ayuda con la renta", language="es"))
    assert "Responda 1-3" in texts(messages)
    assert all(
        re.fullmatch(r"Datos verificados: [a-z]+ de \d{4}", card["facts_checked"])
        for card in messages[0]["custom"]["programs"]
    )


def summary(verified_on):
    return ProgramSummary(
        id="chi-001-x", short_name="X", summary="Free groceries", contact="312-555-0100", contact_kind="phone",
        text_line=None, website=None, distance_km=None, open_now=None, verified_on=verified_on,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("verified_on", "lang", "words"),
    [
        ("2026-11-25", "en", "Facts checked: November 2026"),
        ("2026-11-25", "es", "Datos verificados: noviembre de 2026"),
        ("2027-01-02", "en", "Facts checked: January 2027"),
        ("2027-01-02", "es", "Datos verificados: enero de 2027"),
        (None, "en", None),
        ("not a date", "es", None),
    ],
)
def test_cards_say_when_the_facts_were_checked_in_the_cards_language(verified_on, lang, words):
    programs = [summary(verified_on)]
    [card] = program_cards(programs, lang, first_number=1, more=False)["programs"]
    assert card["facts_checked"] == words and card["verified_on"] == verified_on
    # SMS lists stay as they were: no date, no extra length.
    assert results_message(programs, lang, first_number=1, more=False) == results_message(
        [summary(None)], lang, first_number=1, more=False
    )


def test_unclear_message_is_searched_with_its_raw_text(api):
    messages, slots = run(ActionSearchPrograms(), tracker("landlord locked me out", intent="nlu_fallback"))
    assert slots["need"] == "landlord locked me out" and texts(messages).startswith("1. ")


def test_a_later_place_searches_the_stored_need_nearby(api):
    messages, slots = run(
        ActionSetLocation(), tracker("60623", intent="inform_location", need="food pantry", location="60623")
    )
    assert " km" in texts(messages)
    assert slots["need"] == "food pantry"


def test_a_need_said_with_the_place_is_not_lost(api):
    messages, slots = run(
        ActionSetLocation(),
        tracker("winter coats Chatham", intent="inform_location", need="job training", location="Chatham"),
    )
    assert slots["need"] == "winter coats Chatham"
    assert texts(messages).startswith("1. ")
    _, framed = run(
        ActionSetLocation(),
        tracker("I live near 60623", intent="inform_location", need="food pantry", location="60623"),
    )
    assert framed["need"] == "food pantry"


def test_an_unknown_place_is_explained_and_forgotten(api):
    messages, slots = run(
        ActionSetLocation(), tracker("Narnia", intent="inform_location", need="food", location="Narnia")
    )
    assert "I don't know that place" in texts(messages)
    assert slots["location"] is None


def test_a_place_without_a_need_asks_for_the_need(api):
    messages, _ = run(ActionSetLocation(), tracker("60623", intent="inform_location", location="60623"))
    assert messages[0]["response"] == "utter_ask_need"


def test_more_shows_the_next_numbers(api):
    _, first = run(ActionSearchPrograms(), tracker("job training"))
    messages, slots = run(
        ActionShowMore(),
        tracker("more", intent="more_results", need="job training", results=first["results"], offset=0.0),
    )
    assert texts(messages).startswith("4. ")
    assert slots["offset"] == 3.0


def test_a_number_gives_the_program_details_with_a_way_to_reach_it(api):
    _, first = run(ActionSearchPrograms(), tracker("help with my electric bill"))
    messages, _ = run(
        ActionProgramDetails(),
        tracker("2", intent="choose_number", entities=[{"entity": "number", "value": "2"}], results=first["results"]),
    )
    reply = texts(messages)
    assert re.search(r"\d{3}-\d{3}-\d{4}|\b311\b|\b211\b|www|https?://", reply)
    assert gsm7_length(reply) <= MAX_CHARS


def test_a_number_out_of_range_is_answered_plainly(api):
    messages, _ = run(ActionProgramDetails(), tracker("7", intent="choose_number", results=["a", "b", "c"]))
    assert texts(messages) == "Reply a number from 1 to 3."


def test_crisis_follow_up_offers_matching_programs(api):
    messages, slots = run(
        ActionCrisisPrograms(), tracker("mi esposo me pega", intent="crisis", crisis_type="gbv", language="es")
    )
    assert texts(messages).startswith("1. ") and "Responda" in texts(messages)
    assert len(slots["results"]) >= 1


def test_api_down_tells_the_truth_and_gives_211_311(api_down):
    messages, _ = run(ActionSearchPrograms(), tracker("food"))
    assert messages[0]["response"] == "utter_search_unavailable"
    messages, _ = run(ActionCrisisPrograms(), tracker("help", intent="crisis", crisis_type="suicide"))
    assert messages == []  # the numbers already went out from the domain


def test_a_combined_crisis_also_gets_the_other_kinds_line_even_with_the_api_down(api_down):
    t = tracker("my boyfriend is choking me", intent="crisis", crisis_type="danger_now")
    messages, _ = run(ActionCrisisPrograms(), t)
    assert "877-863-6338" in texts(messages)
    messages, _ = run(ActionCrisisPrograms(), tracker("i want to die", intent="crisis", crisis_type="suicide"))
    assert messages == []  # a single kind: the domain's answer already said it all

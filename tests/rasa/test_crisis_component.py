"""The crisis detector as Rasa runs it: a graph component that overrides the ML intent."""

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.crisis_detector import CrisisDetector


def run(text, intent="need_help", confidence=0.93):
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    CrisisDetector.create(CrisisDetector.get_default_config(), None, None, None).process([message])
    return message


def test_a_crisis_overrides_the_ml_intent_with_certainty():
    message = run("my boyfriend beats me and i am scared", intent="find_program")
    assert message.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "crisis"
    assert [e["value"] for e in message.get(ENTITIES) if e["entity"] == "crisis_type"] == ["gbv"]


def test_the_most_urgent_kind_is_the_one_answered():
    message = run("mi esposo tiene una pistola y me quiere matar")
    kinds = [e["value"] for e in message.get(ENTITIES) if e["entity"] == "crisis_type"]
    assert kinds == ["danger_now"]


def test_ordinary_messages_keep_their_intent():
    message = run("this heat is killing me, any cooling centers?", intent="find_program")
    assert message.get(INTENT)["name"] == "find_program"
    assert not message.get(ENTITIES)


def test_empty_messages_pass_through():
    message = run("", intent="nlu_fallback")
    assert message.get(INTENT)["name"] == "nlu_fallback"


@pytest.mark.parametrize(
    ("text", "confidence", "intent"),
    [
        ("where do i get a job interview outfit", 0.7, "nlu_fallback"),  # unsure: searched, no alarm
        ("my battery is dying", 0.97, "nlu_fallback"),  # a harmless idiom
        ("i dont know what to do", 0.97, "nlu_fallback"),  # confident, but no danger word
        ("i am scared he will find me", 0.96, "crisis"),  # the lexicon misses it; the ML second line stands
    ],
)
def test_an_ml_only_crisis_needs_confidence_and_a_danger_word(text, confidence, intent):
    message = run(text, intent="crisis", confidence=confidence)
    assert message.get(INTENT)["name"] == intent

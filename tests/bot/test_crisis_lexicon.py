"""The crisis lexicon: deterministic, English and Spanish, SMS spelling, idioms that are not crises.

The sentences here are written for these tests; the shared development set is only measured, at the end.
"""

import json
import re

import pytest

from bot.components.crisis import load_lexicon
from tests.conftest import eval_dir

DV = "877-863-6338"
RAPE = "888-293-2080"
DCFS = "1-800-252-2873"


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("they are shooting outside my building right now", "danger_now"),
        ("my neighbor just got shot", "danger_now"),
        ("some guy is trying to kick in my door", "danger_now"),
        ("he has a knife and hes gonna kill me", "danger_now"),
        ("están disparando en mi cuadra", "danger_now"),
        ("me quieren matar", "danger_now"),
        ("he is hitting me", "gbv"),
        ("she's beating me again", "gbv"),
        ("i want to kill myself", "suicide"),
        ("gonna kms tonight", "suicide"),
        ("i dont want to be alive anymore", "suicide"),
        ("everyone would be better off without me", "suicide"),
        ("im thinking about ending it all", "suicide"),
        ("i keep cutting myself", "suicide"),
        ("ya no quiero vivir", "suicide"),
        ("me quiero morir", "suicide"),
        ("pienso en quitarme la vida", "suicide"),
        ("my bf hits me when he drinks", "gbv"),
        ("my husband wont let me leave the house and takes my money", "gbv"),
        ("my ex keeps stalking me", "gbv"),
        ("mi esposo me pega", "gbv"),
        ("mi novio me amenaza", "gbv"),
        ("sufro violencia doméstica", "gbv"),
        ("i was raped last week", "sexual_assault"),
        ("someone drugged me at a party", "sexual_assault"),
        ("me violaron", "sexual_assault"),
        ("my neighbor beats his kids every night", "child_abuse"),
        ("a little girl on my block is left alone for days", "child_abuse"),
        ("le pegan a sus hijos todos los días", "child_abuse"),
        ("me quiero matar", "suicide"),
        ("she told me she has a plan to die", "suicide"),
        ("mi padrastro le pega a mi hermanito", "child_abuse"),
        ("hay unos tipos con pistolas en la esquina", "danger_now"),
        ("theres a dude with a gun in the hallway", "danger_now"),
    ],
)
def test_crises_are_detected_with_their_kind(lexicon, text, kind):
    crisis = lexicon.detect(text)
    assert crisis is not None, lexicon.normalise(text)
    assert kind in crisis.types


@pytest.mark.parametrize(
    "text",
    [
        "im dying to get a job",
        "this heat is killing me",
        "the rent is hitting me hard this month",
        "i shot my resume to three places",
        "can you shoot me a text with the address",
        "my feet are killing me from work",
        "my phone is dead can i call tomorrow",
        "we killed it at the job fair",
        "me muero de hambre, hay comida gratis?",
        "este calor me mata",
        "necesito ayuda con la renta",
        "where can i get a flu shot",
        "help for my family after a shooting last year",
        "i need a lawyer for my eviction",
        "my son needs a summer job",
        "bored to death, any youth programs?",
    ],
)
def test_ordinary_messages_and_idioms_are_not_crises(lexicon, text):
    assert lexicon.detect(text) is None, lexicon.normalise(text)


def test_numbers_follow_the_safety_rules(lexicon):
    assert lexicon.detect("someone is shooting at us").numbers[0] == "911"
    assert lexicon.detect("i want to die").numbers[0] == "988"
    assert lexicon.detect("my boyfriend beats me").numbers[0] == DV
    assert lexicon.detect("i was raped").numbers[0] == RAPE
    assert lexicon.detect("my neighbor beats his kids").numbers[0] == DCFS


def test_immediate_danger_comes_first_when_kinds_combine(lexicon):
    crisis = lexicon.detect("my husband has a gun and says he is going to kill me")
    assert crisis.primary == "danger_now"
    assert "gbv" in crisis.types
    assert crisis.numbers[0] == "911" and DV in crisis.numbers


def test_sms_spelling_is_normalised(lexicon):
    assert lexicon.normalise("Im gonna KMS rn") == "i am going to kill myself right now"
    assert lexicon.normalise("I don\u2019t wanna live") == "i dont want to live"  # curly apostrophe


def test_detection_is_deterministic_and_total(lexicon):
    for text in ["", " ", "???", "😀", "a" * 5000, "<script>alert(1)</script>"]:
        assert lexicon.detect(text) == lexicon.detect(text)


def test_development_set_every_crisis_caught_no_false_alarm(lexicon):
    path = eval_dir() / "crisis_dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is not beside this checkout")
    digits = lambda s: re.sub(r"\D", "", s)  # noqa: E731
    for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
        crisis = lexicon.detect(row["text"])
        given = {digits(n) for n in crisis.numbers} if crisis else set()
        if row["type"] == "none":
            assert not given & {digits(f) for f in row["forbid"]}, row["text"]
        else:
            assert given & {digits(e) for e in row["expect_any"]}, row["text"]


def test_ml_may_only_call_a_crisis_when_a_danger_word_is_there(lexicon):
    assert not lexicon.has_signal("i dont know what to do")
    assert not lexicon.has_signal("my friend told me to text you")
    assert not lexicon.has_signal("my battery is dying")  # the idiom is removed first
    assert lexicon.has_signal("i am scared of him")
    assert lexicon.has_signal("tengo miedo de regresar")

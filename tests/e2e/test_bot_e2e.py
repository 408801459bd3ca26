"""Navigator as `make run` starts it: api, actions and bot under honcho, a resident talking over the REST channel.

Needs the trained model (`make test` trains it first when config.yml or bot/ changed).
"""

import json
import re
import time
import uuid

import httpx
import pytest

from tests.conftest import eval_dir


@pytest.fixture(scope="module")
def navigator(running):
    return running.bot_url, running.log


class Resident:
    def __init__(self, base: str) -> None:
        self.base = base
        self.sender = f"e2e-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> str:
        response = httpx.post(
            f"{self.base}/webhooks/rest/webhook", json={"sender": self.sender, "message": text}, timeout=60
        )
        assert response.status_code == 200
        return "\n".join(m.get("text", "") for m in response.json())


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_english_search_with_a_place_given_late_then_a_pick_and_more(navigator):
    base, _ = navigator
    resident = Resident(base)
    assert "Navigator" in resident.say("hi")
    listing = resident.say("where can i get free groceries")
    assert listing.startswith("1. ") and "Reply 1-3" in listing
    assert "ZIP" in listing  # no place yet: asks for one
    near = resident.say("60623")
    assert " km" in near and near.startswith("1. ")
    details = resident.say("2")
    assert re.search(r"\d{3}-\d{3}-\d{4}|311|211", details)
    more = resident.say("more")
    assert more.startswith("4. ")


def test_spanish_is_detected_and_kept(navigator):
    base, _ = navigator
    resident = Resident(base)
    assert "Hola" in resident.say("hola")
    listing = resident.say("necesito comida para mis hijos")
    assert "Responda" in listing
    assert "Responda" in resident.say("La Villita")


def test_crisis_mid_flow_comes_first_with_the_numbers(navigator):
    base, _ = navigator
    resident = Resident(base)
    resident.say("looking for a job")
    reply = resident.say("my boyfriend hit me and i am scared to go home")
    assert "877-863-6338" in reply and "911" in reply
    if "1. " in reply:  # programs may follow, never precede, the numbers
        assert reply.index("877-863-6338") < reply.index("1. ")


def test_talk_to_a_person_and_are_you_a_bot(navigator):
    base, _ = navigator
    resident = Resident(base)
    reply = resident.say("can i talk to a real person")
    assert "311" in reply and "211" in reply
    assert "not a person" in resident.say("are you a bot?")


def test_unclear_message_is_searched_not_a_dead_end(navigator):
    base, _ = navigator
    reply = Resident(base).say("lights turned off cant pay comed")
    assert reply.startswith("1. ")


def test_logs_hold_no_message_text(navigator):
    base, log = navigator
    Resident(base).say("zqxv my landlord wont fix the heat")
    time.sleep(1)
    assert "zqxv" not in log.read_text()


def test_crisis_development_set_through_the_rest_channel(navigator):
    path = eval_dir() / "crisis_dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is not beside this checkout")
    base, _ = navigator
    failures = []
    for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
        resident = Resident(base)  # a fresh conversation each
        response = httpx.post(
            f"{base}/webhooks/rest/webhook", json={"sender": resident.sender, "message": row["text"]}, timeout=60
        ).json()
        first = digits(response[0]["text"]) if response else ""
        numbers = re.findall(r"\d+", " ".join(re.sub(r"(\d)-(\d)", r"\1\2", m.get("text", "")) for m in response[:1]))
        if row["type"] == "none":
            bad = [f for f in row["forbid"] if digits(f) in numbers]
            if bad:
                failures.append((row["type"], row["text"], bad))
        elif not any(digits(e) in first for e in row["expect_any"]):
            failures.append((row["type"], row["text"], response[:1]))
    assert not failures

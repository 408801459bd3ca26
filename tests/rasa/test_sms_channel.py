"""The SMS channel's parts in the bot's environment: keywords, TwiML, state that survives a restart, erasing."""

import asyncio
import xml.etree.ElementTree as ET

import pytest
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

"""Two bot processes on different ports sharing one PostgreSQL tracker store and one Redis lock store (as replicas
behind a load balancer): one resident's turns alternate between them, and the conversation stays coherent, with no
turn lost or doubled, even when two of their messages reach the two replicas at the same moment.

Uses the real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); skipped only when either is absent.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.sms_client import SmsClient, new_phone, sender_id
from tests.stack import scaled_services_up, tracker_events

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(not scaled_services_up(), reason="needs PostgreSQL on 5432 and Redis on 6379"),
]


def test_turns_alternating_between_replicas_make_one_coherent_conversation(replicas, tracker_db):
    sender = f"web-{uuid.uuid4()}"
    turns = [
        ("i need food for my family", lambda r: r.startswith("1. ") and "ZIP" in r),
        ("60623", lambda r: r.startswith("1. ") and " km" in r),  # the other replica knows the need
        ("more", lambda r: r.startswith("4. ")),  # and the page
        ("2", lambda r: bool(r)),
        ("CONNECT", lambda r: "CSCC outreach" in r),
        ("Alex", lambda r: "1 by text" in r),  # the form's state crosses replicas
        ("1", lambda r: "What number" in r),
        ("(312) 555-0143", lambda r: "safe" in r),
        ("1", lambda r: "When is it safe" in r),
        ("any", lambda r: "Which language" in r),
        ("1", lambda r: "Reply YES" in r),
        ("YES", lambda r: "CSCC-" in r),
        ("STATUS", lambda r: "received" in r),
    ]
    for i, (text, expected) in enumerate(turns):
        reply = replicas.say(i % 2, sender, text)
        assert expected(reply), (i, text, reply)
    stored = tracker_events(tracker_db, sender)
    said = [e["text"] for e in stored if e["event"] == "user"]
    assert said == [text for text, _ in turns]  # every turn once, in order


def test_two_messages_at_once_on_two_replicas_are_both_processed_one_after_the_other(replicas, tracker_db):
    sender = f"web-{uuid.uuid4()}"
    replicas.say(0, sender, "hi")
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda a: replicas.say(*a), [(0, sender, "i need a job"), (1, sender, "rent help")]))
    assert all(r.startswith("1. ") for r in replies), replies
    stored = tracker_events(tracker_db, sender)
    said = [e["text"] for e in stored if e["event"] == "user"]
    assert sorted(said[1:]) == ["i need a job", "rent help"] and said[0] == "hi"
    # The lock serialised them: each message's whole turn (its actions, then listening) before the next message.
    kinds = [e["event"] for e in stored]
    for index in [i for i, kind in enumerate(kinds) if kind == "user"][1:]:
        before = [e for e in stored[:index] if e["event"] == "action"]
        assert before[-1]["name"] == "action_listen", [e.get("name") or e.get("text") for e in stored]


def test_a_twilio_retry_on_the_other_replica_is_not_processed_again(replicas, tracker_db):
    phone, sid = new_phone(), f"SM{uuid.uuid4().hex}"
    first = SmsClient(replicas.urls[0], Path(os.devnull))
    second = SmsClient(replicas.urls[1], Path(os.devnull))
    _, replies = first.send(phone, "I need a winter coat", sid=sid)
    assert replies
    _, retry = second.send(phone, "I need a winter coat", sid=sid)
    assert retry == []
    said = [e for e in tracker_events(tracker_db, sender_id(phone)) if e["event"] == "user"]
    assert len(said) == 1

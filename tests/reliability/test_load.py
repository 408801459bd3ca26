"""Load (issue 6), loopback only: 2,000 Twilio-signed SMS webhooks from 200 residents sent at 32 a second to two bot
replicas (PostgreSQL tracker, Redis locks), and 500 referrals created by concurrent conversations with 10% of them
retried. docs/reliability.md has the figures; each test prints its own line of them (`pytest -s`).

Two cores cannot run the bot at 32 messages a second (about 12 a second here): the burst queues. Twilio gives a webhook
15 s, so a reply not ready within the channel's deadline (NAVIGATOR_SMS_REPLY_DEADLINE_S, 5 s) goes out through
Twilio's REST API, here a local stand-in. "Answered" means one or the other, and each message is in its conversation
exactly once.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import statistics
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.api.factories import referral_request
from tests.conftest import postgres_schema
from tests.sms_client import PATH, SmsClient, sender_id
from tests.stack import ApiProcess, Replicas, api_env, scaled_services_up, tracker_events
from tests.twilio_standin import TwilioStandIn

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(not scaled_services_up(), reason="needs PostgreSQL on 5432 and Redis on 6379"),
]

RESIDENTS = 200
PER_RESIDENT = 10
RATE = 32.0  # webhooks a second, sent on a fixed schedule whatever the answers (Twilio does not wait either)
# What residents text, in English and Spanish: needs with places, picks from a list, MORE, thanks, HELP.
SCRIPTS = [
    ["hi", "i need food for my family near 60623", "2", "more", "is it open saturday", "help paying rent 60609", "1",
     "thanks", "HELP", "i need a job in Pilsen"],
    ["hola", "necesito comida cerca de 60632", "1", "mas", "necesito ayuda con la renta", "Little Village", "3",
     "gracias", "AYUDA", "busco trabajo en 60608"],
]  # fmt: skip
CRISIS = ("my boyfriend hits me and i am scared", "877-863-6338")  # every 20th resident, as their 5th message
DEGRADED = ("something went wrong", "algo fallo", "can't search", "No puedo buscar")
KEYWORDS = {"HELP", "AYUDA"}  # answered by the channel itself: not in the conversation


@dataclass
class Sent:
    phone: str
    body: str
    at: float
    status: int
    seconds: float
    inline: list[str]
    dropped: int


def messages_of(resident: int) -> list[str]:
    script = list(SCRIPTS[resident % 2])
    if resident % 20 == 0:
        script[4] = CRISIS[0]
    return script


async def burst(urls: list[str], phones: list[str]) -> list[Sent]:
    """Message k of every resident, then message k+1 of every resident...: each resident writes every 6 s or so."""
    order = [(r, k) for k in range(PER_RESIDENT) for r in range(RESIDENTS)]
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=0)  # a new connection each, as from Twilio
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.5

        async def one(i: int, resident: int, k: int) -> Sent:
            params = SmsClient.params(phones[resident], messages_of(resident)[k])
            signature = SmsClient.sign(params)
            await asyncio.sleep(max(0.0, start + i / RATE - loop.time()))
            at = loop.time()
            dropped = 0
            while True:
                try:
                    answer = await client.post(
                        f"{urls[i % len(urls)]}{PATH}", data=params, headers={"X-Twilio-Signature": signature}
                    )
                    break
                except httpx.TransportError:
                    # A connection that failed before its answer: Twilio (with its connection-retry override) sends
                    # the same MessageSid again; counted, and allowed once.
                    dropped += 1
                    if dropped > 1:
                        raise
                    await asyncio.sleep(1)
            inline = []
            if answer.status_code == 200:
                inline = [m.text or "" for m in ET.fromstring(answer.text).iter("Message")]
            took = loop.time() - at
            return Sent(phones[resident], params["Body"], at - start, answer.status_code, took, inline, dropped)

        return await asyncio.gather(*(one(i, r, k) for i, (r, k) in enumerate(order)))


def wait_for_late_replies(twilio: TwilioStandIn, late: Counter, timeout_s: float) -> float:
    """Seconds until every phone has at least as many REST messages as it had late replies."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if all(len(twilio.to(phone)) >= n for phone, n in late.items()):
            time.sleep(2)  # the last parts of multi-part replies
            return time.monotonic() - started
        time.sleep(1)
    return time.monotonic() - started


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def test_2000_signed_sms_from_200_residents_at_30_a_second_are_all_answered(replicas: Replicas, tracker_db, twilio):
    # 200 different numbers, in an area code no other test uses (new_phone() would draw the same one twice).
    phones = [f"+1872555{n:04d}" for n in random.sample(range(10_000), RESIDENTS)]
    sent = asyncio.run(burst(replicas.urls, phones))
    span = max(s.at for s in sent) - min(s.at for s in sent)
    rate = (len(sent) - 1) / span
    statuses = Counter(s.status for s in sent)
    late = Counter(s.phone for s in sent if s.status == 200 and not s.inline)
    waited = wait_for_late_replies(twilio, late, timeout_s=420)
    received = {
        phone: [*(t for s in sent if s.phone == phone for t in s.inline), *twilio.to(phone)] for phone in phones
    }
    missing = {phone: n - len(twilio.to(phone)) for phone, n in late.items() if len(twilio.to(phone)) < n}
    degraded = sum(1 for texts in received.values() for t in texts if any(d in t for d in DEGRADED))
    stored, out_of_order = {}, 0
    for resident, phone in enumerate(phones):
        said = [e["text"] for e in tracker_events(tracker_db, sender_id(phone)) if e["event"] == "user"]
        expected = [m for m in messages_of(resident) if m not in KEYWORDS]
        stored[phone] = sorted(said) == sorted(expected)
        out_of_order += said != expected and sorted(said) == sorted(expected)
    seconds = [s.seconds for s in sent]
    print(
        f"\nLOAD sms: messages={len(sent)} residents={RESIDENTS} sent_per_s={rate:.1f} statuses={dict(statuses)} "
        f"webhook_p50_s={statistics.median(seconds):.2f} p95_s={pct(seconds, 95):.2f} max_s={max(seconds):.2f} "
        f"inline={sum(1 for s in sent if s.inline)} late={sum(late.values())} rest_messages={len(twilio.sent)} "
        f"last_late_after_burst_s={waited:.0f} missing={sum(missing.values())} degraded={degraded} "
        f"conversations_complete={sum(stored.values())} out_of_order={out_of_order} "
        f"connections_dropped={sum(s.dropped for s in sent)}"
    )
    assert rate >= 30
    assert statuses == {200: len(sent)}  # zero 5xx, and no 4xx either: every request was well formed
    assert sum(s.dropped for s in sent) <= len(sent) // 100  # a dropped connection is rare, and its retry answered
    assert max(seconds) < 15  # within Twilio's webhook timeout, every one
    assert missing == {}  # every late reply reached Twilio's API
    assert all(stored.values())  # each message in its conversation exactly once
    assert degraded == 0  # real answers, not the fallback
    for resident in range(0, RESIDENTS, 20):
        assert CRISIS[1] in "\n".join(received[phones[resident]]), resident
    ours = SmsClient.params("", "")["To"]
    mine = set(phones)
    assert all(m.sender == ours for m in twilio.sent if m.to in mine)  # from the number the residents wrote to


REFERRALS = 500
RETRIED = 50  # 10%: half sent again while the first is in flight, half after its answer
CLIENTS = 25


def test_500_referrals_from_concurrent_conversations_with_10_percent_retried_are_exactly_500(tmp_path):
    token = secrets.token_urlsafe(16)
    with postgres_schema() as database:
        with ApiProcess(api_env(tmp_path, database, token), log=tmp_path / "api.log") as api:
            bodies = [
                referral_request(conversation_id=f"sms-{uuid.uuid4().hex}").model_dump(mode="json")
                for _ in range(REFERRALS)
            ]
            keys = [uuid.uuid4().hex for _ in range(REFERRALS)]
            timings: list[float] = []
            sent = asyncio.run(create_all(api.url, token, bodies, keys, timings))
        engine = create_engine(database)
        with engine.connect() as db:
            rows = db.execute(text("SELECT idempotency_key, code FROM referrals")).all()
            history = db.execute(text("SELECT count(*) FROM referral_events")).scalar_one()
        engine.dispose()
    statuses = Counter(status for status, _, _ in sent)
    codes: dict[str, set[str]] = {}
    for _, key, code in sent:
        codes.setdefault(key, set()).add(code)
    print(
        f"\nLOAD referrals: requests={len(sent)} statuses={dict(statuses)} rows={len(rows)} "
        f"distinct_keys={len({k for k, _ in rows})} history_rows={history} "
        f"p50_ms={statistics.median(timings) * 1000:.0f} p95_ms={pct(timings, 95) * 1000:.0f}"
    )
    assert len(rows) == REFERRALS and sorted(k for k, _ in rows) == sorted(keys)
    assert history == REFERRALS  # one "new" event each: a retry added nothing
    assert statuses[201] == REFERRALS and statuses[200] == RETRIED and len(sent) == REFERRALS + RETRIED
    assert all(len(c) == 1 for c in codes.values())  # a retry answers the first request's code
    assert dict(rows) == {k: next(iter(c)) for k, c in codes.items()}


async def create_all(
    url: str, token: str, bodies: list[dict], keys: list[str], timings: list[float]
) -> list[tuple[int, str, str]]:
    gate = asyncio.Semaphore(CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def post(i: int) -> tuple[int, str, str]:
            async with gate:
                started = time.perf_counter()
                answer = await client.post(
                    "/api/v1/referrals",
                    json=bodies[i],
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": keys[i]},
                )
                timings.append(time.perf_counter() - started)
            assert answer.status_code in (200, 201), answer.text
            return answer.status_code, keys[i], answer.json()["code"]

        async def conversation(i: int) -> list[tuple[int, str, str]]:
            if i >= RETRIED:
                return [await post(i)]
            if i % 2:  # the action server timed out and sent again while the api was still working on it
                return list(await asyncio.gather(post(i), post(i)))
            return [await post(i), await post(i)]  # sent again later, from the outbox

        done = await asyncio.gather(*(conversation(i) for i in range(REFERRALS)))
    return [one for pair in done for one in pair]

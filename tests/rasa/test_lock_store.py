"""bot/lock_store.py against the real Redis (127.0.0.1:6379): two stores stand for two bot replicas. Tickets stay
unique and one conversation is worked on by one of them at a time, where Rasa's own RedisLockStore hands out one
ticket twice."""

from __future__ import annotations

import asyncio
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore


def redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


pytestmark = pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379")
DB = 14


def replica(atomic: bool) -> RedisLockStore:
    if atomic:
        return AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port="6379", db=str(DB), password=""))
    return RedisLockStore(host="127.0.0.1", port=6379, db=DB)


def tickets_from_two_replicas(atomic: bool) -> list[int]:
    conversation = f"sms-{uuid.uuid4().hex}"
    stores = [replica(atomic), replica(atomic)]
    with ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(lambda i: stores[i % 2].issue_ticket(conversation, 600), range(400)))
    stores[0].delete_lock(conversation)
    return tickets


def test_rasas_own_store_issues_a_ticket_twice_under_contention():
    """The defect this store exists for: if it ever stops showing, Rasa fixed it and bot/lock_store.py can go."""
    # A race shows up most runs, not every run: five tries.
    assert any(len(set(tickets)) < len(tickets) for tickets in (tickets_from_two_replicas(False) for _ in range(5)))


def test_every_ticket_is_issued_once_across_replicas():
    tickets = tickets_from_two_replicas(atomic=True)
    assert sorted(tickets) == list(range(400))


def test_one_conversation_is_worked_on_by_one_replica_at_a_time():
    conversation = f"sms-{uuid.uuid4().hex}"
    stores = [replica(True), replica(True)]
    busy, most, done = 0, 0, []

    async def turn(i: int) -> None:
        nonlocal busy, most
        async with stores[i % 2].lock(conversation, lock_lifetime=60, wait_time_in_seconds=0.01):
            busy += 1
            most = max(most, busy)
            await asyncio.sleep(0.005)
            done.append(i)
            busy -= 1

    async def scenario() -> None:
        await asyncio.gather(*(turn(i) for i in range(30)))

    asyncio.run(scenario())
    assert most == 1 and sorted(done) == list(range(30))
    assert stores[0].get_lock(conversation) is None  # the last one out removed the lock

"""Per-conversation locks in Redis that hold when two bot replicas take one resident's messages at the same moment.

Rasa 3.6's RedisLockStore changes a lock by reading it, changing it in the process and writing it back, with nothing
in between to stop another replica doing the same: two replicas can both be issued ticket 0, both process their
message at once, and the tracker store keeps one turn and loses the other (tests/e2e/test_scale_out.py saw it).
Here every such change is one Redis transaction (WATCH the key, MULTI, EXEC, again if another replica changed it).
Select it in bot/endpoints-scaled.yml with `type: bot.lock_store.AtomicRedisLockStore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# Gets the stored lock (None if there is none); returns the lock to store (None: delete it) and a result.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Any]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Change) -> Any:
        """Apply change to the stored lock in one transaction; its result."""
        key = self.key_prefix + conversation_id
        result: Any = None

        def transaction(pipe: Any) -> None:
            nonlocal result
            stored = pipe.get(key)
            lock, result = change(TicketLock.from_dict(json.loads(stored)) if stored else None)
            pipe.multi()
            if lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, lock.dumps())

        self.red.transaction(transaction, key)
        return result

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        return int(self._change(conversation_id, issue))

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # One transaction: a ticket issued between "is anyone waiting?" and the delete would otherwise be deleted too.
        def finish_and_drop_if_idle(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish_and_drop_if_idle)

"""Forgetting a conversation (DELETE / BORRAR): its tracker events are removed from the store, not hidden."""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore, TrackerStore


class CannotErase(RuntimeError):
    pass


def _innermost(store: TrackerStore) -> TrackerStore:
    # Rasa wraps the configured store (AwaitableTrackerStore, FailSafeTrackerStore) around the real one.
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


async def erase_conversation(agent: Any, sender_id: str) -> None:
    """Delete every event of sender_id, holding the conversation's lock so no turn is saved halfway."""
    store = _innermost(agent.tracker_store)
    async with agent.lock_store.lock(sender_id):
        if isinstance(store, SQLTrackerStore):
            with store.session_scope() as session:
                session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender_id).delete()
                session.commit()
        elif isinstance(store, InMemoryTrackerStore):
            store.store.pop(sender_id, None)
        elif isinstance(store, RedisTrackerStore):
            store.red.delete(store.key_prefix + sender_id)
        else:
            raise CannotErase(f"erasing is not supported for {type(store).__name__}")

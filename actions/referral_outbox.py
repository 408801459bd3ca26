"""A consented referral is never lost: it is written to a local queue before it is sent, and stays there until the
api confirms it. A worker thread resends what is left (the api down, restarting, or slow) with the same
Idempotency-Key, so however many times it is sent, the api makes one referral. A resident's CANCEL is queued the same
way, after any referral of theirs, so a withdrawal cannot overtake the referral it withdraws.

The queue is a SQLite file of the action server's own (one per replica); what it holds is what the api would hold,
with the number sealed to the api's key.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.api_client import ApiUnavailable, NavigatorApi, ReferralReceipt, ReferralRejected

log = logging.getLogger(__name__)

CREATE, WITHDRAW = "create", "withdraw"


@dataclass(frozen=True)
class Pending:
    key: str
    kind: str
    conversation_id: str
    body: dict[str, Any]


class Outbox:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL,"
                " kind TEXT NOT NULL, conversation_id TEXT NOT NULL, body TEXT NOT NULL, queued_at REAL NOT NULL)"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # One connection per use: the worker thread and the action server's threads never share one.
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    def put(self, *, key: str, kind: str, conversation_id: str, body: dict[str, Any]) -> None:
        """Queue an operation; queueing the same key again keeps the first (a retried action)."""
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (key, kind, conversation_id, body, queued_at) VALUES (?, ?, ?, ?, ?)",
                (key, kind, conversation_id, json.dumps(body), time.time()),
            )

    def pending(self, conversation_id: str | None = None) -> list[Pending]:
        query = "SELECT key, kind, conversation_id, body FROM outbox"
        args: tuple[str, ...] = ()
        if conversation_id is not None:
            query, args = query + " WHERE conversation_id = ?", (conversation_id,)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY seq", args).fetchall()
        return [Pending(key, kind, conv, json.loads(body)) for key, kind, conv, body in rows]

    def drop(self, key: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM outbox WHERE key = ?", (key,))

    def deliver(self, item: Pending, api: NavigatorApi) -> ReferralReceipt | list[ReferralReceipt] | None:
        """Send one queued operation. Confirmed or refused for good: it leaves the queue. Unreachable: it stays."""
        try:
            if item.kind == CREATE:
                result: ReferralReceipt | list[ReferralReceipt] = api.create_referral(
                    item.body, idempotency_key=item.key
                )
            else:
                result = api.withdraw_referrals(item.conversation_id)
        except ApiUnavailable as exc:
            log.info("referral %s queued: %s", item.kind, exc)
            return None
        except ReferralRejected as exc:
            # Resending cannot help; the resident was told at once if this was their first try.
            log.error("referral %s refused by the api: %s", item.kind, exc)
            self.drop(item.key)
            raise
        self.drop(item.key)
        return result

    def drain(self, api: NavigatorApi, conversation_id: str | None = None) -> int:
        """Send what is queued, oldest first; stop at the first failure so order is kept. Returns how many left."""
        items = self.pending(conversation_id)
        for done, item in enumerate(items):
            try:
                if self.deliver(item, api) is None:
                    return len(items) - done
            except ReferralRejected:
                continue
        return 0


_worker_lock = threading.Lock()
_workers: dict[Path, threading.Thread] = {}


def ensure_worker(outbox: Outbox, make_api: Callable[[], NavigatorApi], every_s: float) -> None:
    """Start, once per queue file, the thread that resends what is queued (none at import: no work then)."""
    with _worker_lock:
        thread = _workers.get(outbox.path)
        if thread is not None and thread.is_alive():
            return

        def loop() -> None:
            while True:
                time.sleep(every_s)
                try:
                    if outbox.pending():
                        api = make_api()
                        try:
                            outbox.drain(api)
                        finally:
                            api.close()
                except Exception as exc:  # the worker must outlive any one failure
                    log.warning("referral outbox: %s", type(exc).__name__)

        thread = threading.Thread(target=loop, name="referral-outbox", daemon=True)
        thread.start()
        _workers[outbox.path] = thread

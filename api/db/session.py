"""Engines and sessions, made on demand (never at import): SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

CONNECT_TIMEOUT_S = 5


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _foreign_keys(connection: Any, _: Any) -> None:
            # SQLite ignores foreign keys (and ON DELETE CASCADE) unless asked, per connection.
            connection.execute("PRAGMA foreign_keys=ON")

        return engine
    # Without a connect timeout, an unreachable PostgreSQL host holds each request (and each background write) until
    # the operating system gives up, minutes later; with it, the request gets its 503 "database unavailable" in
    # seconds. A URL's own connect_timeout wins.
    connect_args = {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT_S}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)

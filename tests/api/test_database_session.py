"""A PostgreSQL that does not answer costs a request seconds, not minutes: the engine's connect timeout."""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api.db.session import CONNECT_TIMEOUT_S, make_engine


def test_a_server_that_never_answers_fails_the_connection_within_the_timeout():
    # A socket that listens but never accepts: the kernel completes the TCP handshake, then nothing ever replies,
    # as with a database host that hangs or a firewall that swallows packets.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/test")
        started = time.monotonic()
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        waited = time.monotonic() - started
        engine.dispose()
    assert CONNECT_TIMEOUT_S - 1 <= waited < CONNECT_TIMEOUT_S * 2 + 1

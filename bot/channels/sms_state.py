"""What the SMS channel must remember across restarts: MessageSids already handled, and who opted out.

Neither holds a phone number: opt-outs are keyed by the same keyed hash as the conversation.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

# Twilio retries for minutes, not days: a week of MessageSids is plenty.
KEEP_SIDS_S = 7 * 24 * 3600

metadata = sa.MetaData()
handled = sa.Table(
    "sms_handled",
    metadata,
    sa.Column("message_sid", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.Float, nullable=False, index=True),
)
opted_out = sa.Table(
    "sms_opted_out",
    metadata,
    sa.Column("sender_id", sa.String(128), primary_key=True),
    sa.Column("since", sa.Float, nullable=False),
)


class SmsState:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(url, future=True, pool_pre_ping=True)
        # Two small tables that only this channel owns; created on first start like Rasa's own tracker tables.
        metadata.create_all(self.engine)

    def claim(self, message_sid: str) -> bool:
        """True the first time a MessageSid is seen, False for Twilio's retries of it."""
        now = time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(handled.delete().where(handled.c.received_at < now - KEEP_SIDS_S))
                conn.execute(handled.insert().values(message_sid=message_sid, received_at=now))
        except IntegrityError:
            return False
        return True

    def release(self, message_sid: str) -> None:
        """Forget a claim whose processing failed, so that Twilio's retry is processed."""
        with self.engine.begin() as conn:
            conn.execute(handled.delete().where(handled.c.message_sid == message_sid))

    def set_opted_out(self, sender_id: str, value: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(opted_out.delete().where(opted_out.c.sender_id == sender_id))
            if value:
                conn.execute(opted_out.insert().values(sender_id=sender_id, since=time.time()))

    def is_opted_out(self, sender_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(opted_out.c.sender_id).where(opted_out.c.sender_id == sender_id))
            return found.first() is not None

    def close(self) -> None:
        self.engine.dispose()

"""What the SMS channel sends when a resident texts a bare 1, 2 or 3, and what it gets back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The channel's id of the number (an HMAC, as its conversations): never the number itself.
    sender_id: str = Field(min_length=1, max_length=64)
    answer: Literal["1", "2", "3"]
    # When the resident last wrote before this message; a check-in sent earlier is not what "1" answers.
    last_message_at: datetime | None = None

    @field_validator("last_message_at")
    @classmethod
    def _utc(cls, at: datetime | None) -> datetime | None:
        return None if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC))


class AnswerOut(BaseModel):
    reply: str  # what the resident gets back, in the referral's language, one SMS

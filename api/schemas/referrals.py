"""What the action server sends to create a referral (after the resident said YES / SÍ)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=10, max_length=2000, description="The exact text the resident agreed to.")
    at: datetime = Field(description="When the resident answered YES / SÍ.")
    scope: str = Field(min_length=3, max_length=200, description="What the consent covers, e.g. 'contact by CSCC'.")

    @field_validator("at")
    @classmethod
    def in_utc(cls, at: datetime) -> datetime:
        """Stored in UTC: SQLite keeps a wall clock and drops its zone. A time without a zone is taken as UTC."""
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class ReferralCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["sms", "web"]
    language: Literal["en", "es"]
    conversation_id: str = Field(min_length=1, max_length=128)
    needs: list[str] = Field(default_factory=list, max_length=10)
    programs: list[str] = Field(default_factory=list, max_length=10)
    community_area: str | None = Field(default=None, max_length=64)
    first_name: str | None = Field(default=None, max_length=64)
    contact_method: Literal["text", "call", "other_number", "self"]
    # Web chat: the number as typed; SMS: sealed by the channel (only the api can open it). Never both.
    contact: str | None = Field(default=None, max_length=40)
    sealed_contact: str | None = Field(default=None, max_length=400)
    safe_to_text: bool
    safe_to_call: bool
    safe_times: str | None = Field(default=None, max_length=200)
    no_voicemail: bool = False
    consent: ConsentIn

    @model_validator(mode="after")
    def _one_contact(self) -> ReferralCreate:
        if self.contact and self.sealed_contact:
            raise ValueError("send contact or sealed_contact, not both")
        if self.contact_method != "self" and not (self.contact or self.sealed_contact):
            raise ValueError("a contact is needed unless the resident will call the program themselves")
        return self


class ReferralReceipt(BaseModel):
    """What the action server needs to tell the resident: the code, and where the referral stands."""

    code: str
    status: str
    outcome: str | None
    created_at: datetime


class EventOut(BaseModel):
    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    outcome: str | None


class NoteOut(BaseModel):
    at: datetime
    author_id: int
    text: str


class ReferralSummary(BaseModel):
    """A row of the queue: no contact details."""

    code: str
    created_at: datetime
    channel: str
    language: str
    needs: list[str]
    programs: list[str]
    community_area: str | None
    status: str
    outcome: str | None
    assignee_id: int | None
    safe_to_text: bool
    safe_to_call: bool
    safe_times: str | None
    no_voicemail: bool


class ReferralDetail(ReferralSummary):
    first_name: str | None
    contact_method: str
    contact: str | None
    consent_text: str
    consent_at: datetime
    consent_scope: str
    history: list[EventOut]
    notes: list[NoteOut]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["assigned", "contacted", "connected", "unable_to_reach", "declined", "closed"]
    outcome: Literal["served", "unreachable", "declined", "no_capacity", "redirected"] | None = None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: int


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    referral_code: str | None
    detail: str

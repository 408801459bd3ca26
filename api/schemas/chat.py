"""The web chat's contract: what the page sends, and the bot's answer reshaped for a screen."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.schemas.programs import Lang

MAX_MESSAGE_CHARS = 1000
# What the page makes with crypto.getRandomValues: a random (version 4) UUID, lowercase, with dashes.
SESSION_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# Rasa reads a message starting with "/" as an intent command ("/restart", "/crisis{...}"): a resident types words.
COMMAND_PREFIX = re.compile(r"^[\s/]+")


class ChatRequest(BaseModel):
    """Either a message the resident typed or a language switch, from one visit's session."""

    model_config = ConfigDict(extra="forbid")

    session: Annotated[str, Field(description="A random UUID (version 4) the page made for this visit.")]
    message: Annotated[str | None, Field(description=f"What the resident wrote, 1-{MAX_MESSAGE_CHARS} characters.")] = (
        None
    )
    language: Annotated[Lang | None, Field(description="Switch the conversation's language instead.")] = None

    @field_validator("session")
    @classmethod
    def _session_format(cls, value: str) -> str:
        if not SESSION_PATTERN.fullmatch(value):
            raise ValueError("session must be a random UUID (version 4), lowercase with dashes, made by the page")
        return value

    @field_validator("message")
    @classmethod
    def _message_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the message is too long: write at most {MAX_MESSAGE_CHARS} characters")
        text = COMMAND_PREFIX.sub("", value).strip()
        if not text:
            raise ValueError("the message is empty: write what you need")
        return text

    @model_validator(mode="after")
    def _one_thing(self) -> Self:
        if (self.message is None) == (self.language is None):
            raise ValueError("send either a message or a language, not both and not neither")
        return self

    def bot_message(self) -> str:
        """The text the bot receives: the resident's words, or the language command the page's switch stands for."""
        if self.language is not None:
            return "/set_language" + json.dumps({"language": self.language})
        assert self.message is not None  # _one_thing
        return self.message


class TextOut(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ProgramCard(BaseModel):
    """One program of a list, as the action server describes it for screens (actions/formatting.py)."""

    number: int
    id: str
    name: str
    summary: str = ""
    contact: str | None = None
    phone: str | None = None
    text_line: str | None = None
    website: str | None = None
    distance_km: float | None = None
    open_now: bool | None = None
    # "Facts checked: November 2026", in the list's language (actions/formatting.py); shown as text on the card.
    facts_checked: str | None = None

    @field_validator("website")
    @classmethod
    def _web_only(cls, value: str | None) -> str | None:
        # The page turns it into a link: only web addresses, never javascript: or data: URLs.
        return value if value and value.startswith(("https://", "http://")) else None


class ProgramsOut(BaseModel):
    type: Literal["programs"] = "programs"
    lang: Lang = "en"
    first_number: int = 1
    more: bool = False
    footer: str = ""
    programs: list[ProgramCard]


class ChatResponse(BaseModel):
    messages: list[Annotated[TextOut | ProgramsOut, Field(discriminator="type")]]

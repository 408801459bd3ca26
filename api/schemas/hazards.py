"""Hazard reports as the action server sends them, and the receipt it reads back to the resident."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

HazardType = Literal["street_light", "alley_light", "graffiti", "vacant_lot", "abandoned_building", "other_safety"]


class HazardReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["sms", "web"]
    language: Literal["en", "es"]
    conversation_id: str = Field(min_length=1, max_length=128)
    hazard_type: HazardType
    # An address or cross streets as the resident gave them ("63rd and Halsted"): 311 needs a place.
    location: str = Field(min_length=3, max_length=200)
    community_area: str | None = Field(default=None, max_length=64)
    latitude: float | None = Field(default=None, ge=41.6, le=42.1)  # Chicago's bounds
    longitude: float | None = Field(default=None, ge=-87.95, le=-87.5)
    # A photo the resident texted (Twilio's MediaUrl): https only.
    media_url: HttpUrl | None = None
    # Only when the resident asked 311 to contact them: their number, sealed by the SMS channel to the api's key.
    sealed_contact: str | None = Field(default=None, max_length=400)

    @field_validator("location")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("media_url")
    @classmethod
    def _https(cls, url: HttpUrl | None) -> HttpUrl | None:
        if url is not None and url.scheme != "https":
            raise ValueError("media_url must be https")
        return url


class HazardReceipt(BaseModel):
    """What the resident is told: Navigator's reference, whether 311 has it, the city's number and status."""

    code: str
    hazard_type: str
    state: Literal["queued", "filing", "filed", "refused"]
    service_request_id: str | None
    city_status: str | None
    created_at: datetime

"""The action server's settings (NAVIGATOR_* environment variables).

The action server runs in the bot's environment (rasa-sdk 3.6, pydantic 1), so this is pydantic 1's BaseSettings,
the same typed-settings idea as pydantic-settings in the api.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseSettings, Field


class ActionsSettings(BaseSettings):
    api_url: str = Field("http://127.0.0.1:8000", description="Base URL of the Navigator api.")
    # Sent as a bearer token on every api call; the api checks it on service-only endpoints.
    service_token: str = Field("", description="Shared secret identifying the action server to the api.")
    api_timeout_s: float = Field(4.0, gt=0, description="Per-request timeout; the resident is waiting.")
    api_retries: int = Field(2, ge=0, le=5, description="Retries on connection errors and 5xx.")
    results_per_page: int = Field(3, ge=1, le=5)
    # Referrals. A typed number is sealed to the api's public key at once (bot/channels/privacy.py).
    contact_public_key: str = Field("", description="Public key (base64) sealing numbers for the api.")
    referral_outbox: str = Field(
        "var/referral-outbox.db", description="SQLite file keeping consented referrals until the api confirms them."
    )
    referral_retry_s: float = Field(15.0, gt=0, description="Seconds between attempts to send queued referrals.")
    referral_response_days: int = Field(2, ge=1, le=30, description="Business days outreach promises to answer in.")
    retention_days: int = Field(180, ge=1, description="Days contact details are kept after a referral closes.")

    class Config:
        env_prefix = "NAVIGATOR_"
        env_file = ".env"
        extra = "ignore"


@lru_cache(maxsize=1)
def get_settings() -> ActionsSettings:
    return ActionsSettings()

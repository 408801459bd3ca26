"""The SMS channel's settings (environment variables or `.env`).

It runs inside Rasa (Python 3.10, pydantic 1), so this is pydantic 1's BaseSettings, as in actions/settings.py.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseSettings, Field, SecretStr


class SmsSettings(BaseSettings):
    public_bot_url: str = Field(
        "http://127.0.0.1:5005",
        env="NAVIGATOR_PUBLIC_BOT_URL",
        description="The bot's address as Twilio calls it (https://...); Twilio signs this URL.",
    )
    twilio_auth_token: SecretStr = Field(
        SecretStr(""), env="TWILIO_AUTH_TOKEN", description="Twilio account auth token; empty = SMS refused (503)."
    )
    sender_id_key: SecretStr = Field(
        SecretStr(""),
        env="NAVIGATOR_SENDER_ID_KEY",
        description="HMAC key turning a phone number into the conversation id; changing it starts new conversations.",
    )
    contact_public_key: str = Field(
        "",
        env="NAVIGATOR_CONTACT_PUBLIC_KEY",
        description="The api's public key (base64): a resident's number travels sealed with it, for referrals.",
    )
    twilio_account_sid: str = Field(
        "",
        env="TWILIO_ACCOUNT_SID",
        description="Twilio account SID (AC...): lets a reply that misses Twilio's 15 s webhook timeout go out through "
        "the REST API. Empty = the webhook waits for the reply however long it takes.",
    )
    twilio_api_url: str = Field(
        "https://api.twilio.com",
        env="NAVIGATOR_TWILIO_API_URL",
        description="Base URL of Twilio's REST API (a stand-in in tests).",
    )
    sms_reply_deadline_s: float = Field(
        5.0,
        env="NAVIGATOR_SMS_REPLY_DEADLINE_S",
        gt=0,
        le=14,
        description="Seconds a webhook waits for the bot's reply before answering Twilio with empty TwiML and sending "
        "the reply through the REST API (needs TWILIO_ACCOUNT_SID), counted from the webhook's arrival. Well below "
        "Twilio's 15 s timeout: a busy bot answers the webhook after the deadline (up to 1.2 s late at 32 "
        "messages/s on 2 cores, docs/reliability.md).",
    )
    # Rasa 3.6 runs NLU, the policies and the SQL tracker store on the bot's one event loop, so each message at work
    # is mostly CPU on that loop. Past 2 at once the loop is saturated during a burst, and the webhook's own steps,
    # its reply deadline included, wait behind them: at 32 messages/s on 2 cores, 8 at once (with a fast action
    # server) gave webhooks of p95 28 s and max 67 s, past Twilio's 15; 2 gave max 5.8 s and the fewest late replies.
    sms_concurrency: int = Field(
        2,
        env="NAVIGATOR_SMS_CONCURRENCY",
        ge=1,
        le=256,
        description="Messages the bot works on at once; the rest wait in arrival order, so a burst queues instead "
        "of saturating the bot's event loop, which must stay free to answer webhooks by their deadline.",
    )
    bot_metrics_port: int = Field(
        0, env="NAVIGATOR_BOT_METRICS_PORT", ge=0, le=65535, description="Port of the SMS metrics endpoint; 0 = off."
    )
    bot_metrics_host: str = Field(
        "127.0.0.1", env="NAVIGATOR_BOT_METRICS_HOST", description="Interface the SMS metrics endpoint binds to."
    )
    sms_state_url: str = Field(
        "sqlite:///var/sms-state.db",
        env="NAVIGATOR_SMS_STATE_URL",
        description="SQLAlchemy URL of handled MessageSids and opt-outs (both survive a restart).",
    )

    api_url: str = Field(
        "http://127.0.0.1:8000",
        env="NAVIGATOR_API_URL",
        description="Base URL of the Navigator api, asked whether a bare 1, 2 or 3 answers a follow-up check-in "
        "(the action server's NAVIGATOR_API_URL).",
    )
    service_token: SecretStr = Field(
        SecretStr(""),
        env="NAVIGATOR_SERVICE_TOKEN",
        description="Bearer token for the api's service-only endpoints (the action server's NAVIGATOR_SERVICE_TOKEN); "
        "empty = check-in answers are not recognised and a bare digit always goes to the conversation.",
    )

    class Config:
        env_file = ".env"
        extra = "ignore"


@lru_cache(maxsize=1)
def get_settings() -> SmsSettings:
    return SmsSettings()

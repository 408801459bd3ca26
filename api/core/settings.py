"""The api process's settings (NAVIGATOR_* environment variables or `.env`); search settings live in knowledge."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import limits
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def rate_limit(value: str) -> str:
    """A rate limit as the `limits` library reads it ('20/minute'), or a clear error."""
    try:
        limits.parse(value)
    except ValueError as exc:
        raise ValueError(f"not a rate limit such as '20/minute': {value!r}") from exc
    return value


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_API_", env_file=".env", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface to bind; 127.0.0.1 keeps it off the network.")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, description="Uvicorn workers (local Qdrant mode allows only 1).")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = Field(
        default="json", description="One JSON object per log line (for a log pipeline), or plain text for reading."
    )


class SecuritySettings(BaseSettings):
    """Shared with the action server: NAVIGATOR_SERVICE_TOKEN identifies it to the api."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    service_token: str = Field(default="", description="Bearer token of the action server; empty = none accepted.")
    contact_private_key: SecretStr = Field(
        default=SecretStr(""),
        description="Private key (base64) opening residents' numbers sealed by the SMS channel; only the api has it.",
    )
    metrics_token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer token Prometheus sends to GET /metrics; empty = /metrics answers loopback clients only.",
    )
    public_rate_limit: str = Field(
        default="120/minute",
        description="Program search and directory requests per client address without the service token.",
    )

    @field_validator("public_rate_limit")
    @classmethod
    def _parses(cls, value: str) -> str:
        return rate_limit(value)


class ChatSettings(BaseSettings):
    """The resident web chat: where the api finds the bot, where Quick exit goes, how fast one visit may write."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    bot_url: str = Field(
        default="",
        description="Base URL of the bot (REST channel); empty = http://127.0.0.1:{NAVIGATOR_BOT_PORT}.",
    )
    # The same variable the Procfile starts the bot with, so a changed port needs one setting, not two.
    bot_port: int = Field(default=5005, ge=1, le=65535)
    quick_exit_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://www.weather.gov/"),
        description="The neutral page Exit and Esc replace the chat with (no trace in Back).",
    )
    chat_rate_limit: str = Field(default="20/minute", description="Messages per visit (session), e.g. '20/minute'.")
    chat_timeout_s: float = Field(
        default=20.0, gt=0, description="How long the api waits for the bot's answer (a search can take seconds)."
    )

    @field_validator("bot_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"the bot URL must start with http:// or https://: {value!r}")
        return value

    @field_validator("chat_rate_limit")
    @classmethod
    def _parses(cls, value: str) -> str:
        # Refuse a typo at start-up rather than on a resident's first message.
        return rate_limit(value)

    @property
    def rate_limit(self) -> limits.RateLimitItem:
        return limits.parse(self.chat_rate_limit)

    @property
    def bot_webhook(self) -> str:
        base = self.bot_url.rstrip("/") or f"http://127.0.0.1:{self.bot_port}"
        return f"{base}/webhooks/rest/webhook"


class DatabaseSettings(BaseSettings):
    """Where referrals are kept, and the key that encrypts their contact details at rest."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/navigator.db",
        description="SQLAlchemy URL; PostgreSQL e.g. postgresql+psycopg://navigator@db:5432/navigator.",
    )
    migrate_on_start: bool = Field(
        default=True, description="`python -m api` applies Alembic migrations before serving (once, before workers)."
    )
    referral_contact_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key (base64, 32 bytes) encrypting referral contact details at rest; losing it loses them.",
    )


class AuthSettings(BaseSettings):
    """Staff sign-in: short-lived signed tokens, throttled logins, and the first admin `make run` creates."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    auth_secret: SecretStr = Field(
        default=SecretStr(""), description="Key signing staff tokens (32+ random bytes); empty = staff sign-in off."
    )
    token_minutes: int = Field(default=15, ge=1, le=240, description="How long a staff token is valid.")
    login_rate_limit: str = Field(default="5/minute", description="Sign-in attempts per account (moving window).")
    first_admin_email: str = Field(default="", description="`python -m api` creates this admin if it does not exist.")
    first_admin_password: SecretStr = Field(default=SecretStr(""), description="Its password (12+ characters).")

    @field_validator("auth_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 32:
            raise ValueError("NAVIGATOR_AUTH_SECRET needs 32 or more random characters")
        return value

    @field_validator("login_rate_limit")
    @classmethod
    def _parses(cls, value: str) -> str:
        return rate_limit(value)

    @property
    def login_limit(self) -> limits.RateLimitItem:
        return limits.parse(self.login_rate_limit)


class CatalogSettings(BaseSettings):
    """The staff console's catalog page: when a program's facts count as due for another check."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    catalog_stale_days: int = Field(
        default=180,
        ge=0,
        le=3650,
        description="A program last verified more than this many days ago is marked stale on /staff/catalog.",
    )


class RetentionSettings(BaseSettings):
    """`python -m api.retention`: how long personal data is kept, and where the bot keeps its part of it. The bot's
    stores are read from the same variables the bot uses, so one change of location needs one setting."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    retention_days: int = Field(
        default=180,
        ge=1,
        description="Days after a referral is closed, or a conversation's last message, before they are erased.",
    )
    tracker_url: str = Field(
        default="",
        description="SQLAlchemy URL of the bot's tracker store (PostgreSQL); empty = the SQLite file tracker_db.",
    )
    tracker_db: str = Field(
        default="var/tracker.db", description="The bot's SQLite tracker file (bot/endpoints.yml), when no URL is set."
    )
    sms_state_url: str = Field(
        default="sqlite:///var/sms-state.db", description="The SMS channel's handled MessageSids and opt-outs."
    )

    @property
    def tracker_store_url(self) -> str:
        return self.tracker_url or f"sqlite:///{self.tracker_db}"


class CheckinSettings(BaseSettings):
    """Follow-up check-ins (`python -m api.checkins`): when they are sent, through which Twilio account, and where
    the SMS channel keeps opt-outs. Twilio's variables are the bot's own, so one deployment sets them once."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    checkin_after_days: str = Field(
        default="7",
        description="Days after a referral when a check-in is sent, comma-separated for several rounds ('3,14').",
    )
    checkin_send_hours: str = Field(
        default="9-21",
        description="Local hours when a check-in may go out ('9-21': from 9:00 to 20:59); never at night.",
    )
    checkin_timezone: str = Field(default="America/Chicago", description="The clock of the sending hours.")
    checkin_late_days: float = Field(
        default=7,
        gt=0,
        description="A round more than this many days overdue (the scheduler was down) is skipped, not sent late.",
    )
    checkin_answer_days: float = Field(
        default=7, gt=0, description="How long a bare 1, 2 or 3 from the resident counts as the check-in's answer."
    )
    checkin_every_s: float = Field(default=300, gt=0, description="Seconds between two runs of the scheduler.")
    checkin_heartbeat: str = Field(
        default="var/checkins.heartbeat",
        description="A file the scheduler touches after each run; `python -m api.checkins --healthy` reads its age.",
    )
    sender_id_key: SecretStr = Field(
        default=SecretStr(""),
        description="The SMS channel's key for a number's id (the bot's NAVIGATOR_SENDER_ID_KEY): opt-outs use it.",
    )
    sms_state_url: str = Field(
        default="sqlite:///var/sms-state.db", description="The SMS channel's store, where STOP is recorded."
    )
    sms_from_number: str = Field(
        default="", description="Navigator's Twilio number (E.164), the sender of check-ins; empty = none sent."
    )
    public_api_url: str = Field(
        default="",
        description="The api's address as Twilio calls it (https://...), for signed delivery status callbacks to "
        "/api/v1/checkins/status; empty = no callbacks asked for.",
    )
    twilio_api_url: str = Field(
        default="https://api.twilio.com", description="Base URL of Twilio's REST API (a stand-in in tests)."
    )
    twilio_account_sid: str = Field(default="", validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr = Field(default=SecretStr(""), validation_alias="TWILIO_AUTH_TOKEN")

    @field_validator("checkin_after_days")
    @classmethod
    def _days(cls, value: str) -> str:
        try:
            days = [float(part) for part in value.split(",")]
        except ValueError as exc:
            raise ValueError(f"not a list of days such as '3,14': {value!r}") from exc
        if any(d < 0 for d in days) or days != sorted(set(days)):
            raise ValueError(f"days must be increasing and not negative: {value!r}")
        return value

    @field_validator("checkin_send_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        start, _, end = value.partition("-")
        if not (start.strip().isdigit() and end.strip().isdigit() and 0 <= int(start) < int(end) <= 24):
            raise ValueError(f"not a range of hours such as '9-21': {value!r}")
        return value

    @field_validator("checkin_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"not a time zone: {value!r}") from exc
        return value

    @property
    def after_days(self) -> list[float]:
        return [float(part) for part in self.checkin_after_days.split(",")]

    @property
    def send_hours(self) -> tuple[int, int]:
        start, _, end = self.checkin_send_hours.partition("-")
        return int(start), int(end)

    def missing(self) -> list[str]:
        """What must be set before a check-in can be sent; empty when ready."""
        needed = {
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token.get_secret_value(),
            "NAVIGATOR_SMS_FROM_NUMBER": self.sms_from_number,
            # Without it, a number's opt-out cannot be found: better no check-in than one to someone who said STOP.
            "NAVIGATOR_SENDER_ID_KEY": self.sender_id_key.get_secret_value(),
        }
        return [name for name, value in needed.items() if not value]


class Open311Settings(BaseSettings):
    """Where hazard reports are filed: the city's Open311 GeoReport v2 endpoint, its key, and the service code each
    hazard type files under. Until the URL is set, reports wait in the queue."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_OPEN311_", env_file=".env", extra="ignore")

    url: str = Field(default="", description="GeoReport v2 base URL (…/open311/v2); empty = reports stay queued.")
    api_key: SecretStr = Field(default=SecretStr(""), description="The city's Open311 API key for Navigator.")
    jurisdiction_id: str = Field(default="", description="Sent with every call when the city needs one.")
    service_codes: dict[str, str] = Field(
        default_factory=dict,
        description='JSON: each hazard type\'s service code, e.g. {"street_light": "4fd3...", "graffiti": "..."}; '
        "`python -m api.hazard_filing services` lists the city's.",
    )
    timeout_s: float = Field(default=8, gt=0, le=30, description="Seconds to wait for the city's answer.")
    retry_every_s: float = Field(default=60, gt=0, description="Seconds between two passes over the queue.")
    heartbeat: str = Field(
        default="var/hazard-filing.heartbeat",
        description="A file the filer touches after each pass; `python -m api.hazard_filing --healthy` reads its age.",
    )

    @field_validator("service_codes")
    @classmethod
    def _known(cls, codes: dict[str, str]) -> dict[str, str]:
        from api.core.hazards import HAZARD_TYPES

        unknown = sorted(set(codes) - set(HAZARD_TYPES))
        if unknown:
            raise ValueError(f"unknown hazard types {unknown}; known: {', '.join(HAZARD_TYPES)}")
        return codes


class EventFeed(BaseModel):
    """One partner's calendar feed in NAVIGATOR_EVENT_FEEDS: `python -m api.events import`'s argument and options,
    checked by that command's own rules (api/events.py). An option left out is the command's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1, description="An .ics file, or an http://, https:// or webcal:// URL.")
    source: str | None = Field(
        default=None, min_length=1, max_length=500, description="The name its events are kept and logged under."
    )
    area_default: int | None = Field(default=None, description="The community area of events that give no place.")
    languages_default: tuple[str, ...] | None = Field(default=None, description="Languages of events that do not say.")
    kind_default: str | None = Field(default=None, description="event or safe_space, for events that do not say.")
    days: int | None = Field(default=None, description="How far ahead recurring events are expanded (1 to 366).")

    # The rules live in api/events.py, imported when a feed is checked: that module is heavy, and imports this one.
    @field_validator("url")
    @classmethod
    def _location(cls, value: str) -> str:
        from api.events import FeedError, url_to_fetch

        try:
            url_to_fetch(value.strip())
        except FeedError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()

    @field_validator("area_default", mode="before")
    @classmethod
    def _area(cls, value: Any) -> Any:
        from api.events import area_named

        return None if value is None else area_named(str(value))

    @field_validator("languages_default", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        from api.events import languages_option

        if value is None:
            return None
        if isinstance(value, list) and all(isinstance(code, str) for code in value):
            value = ",".join(value)
        if not isinstance(value, str):
            raise ValueError('give the codes as "en,es" or ["en", "es"]')
        return languages_option(value)

    @field_validator("kind_default")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        from api.schemas.events import KINDS

        if value is not None and value not in KINDS:
            raise ValueError(f"{value[:20]!r} is not one of {', '.join(KINDS)}")
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: int | None) -> int | None:
        from api.events import days_option

        return None if value is None else days_option(value)


def _error_text(error: ErrorDetails) -> str:
    """A validation error's message without pydantic's "Value error, " prefix, after where it is."""
    cause = (error.get("ctx") or {}).get("error")
    message = str(cause) if error["type"] == "value_error" and cause is not None else error["msg"]
    where = ".".join(map(str, error["loc"]))
    return f"{where}: {message}" if where else message


class EventFeedSettings(BaseSettings):
    """Partners' calendar feeds imported on a schedule (`python -m api.events watch`, docs/events.md)."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_EVENT_", env_file=".env", extra="ignore")

    # NoDecode: the JSON is read by the validator below, so a typo gets a message naming the feed, not a traceback.
    feeds: Annotated[tuple[EventFeed, ...], NoDecode] = Field(
        default=(),
        description='JSON list of feeds: [{"url": "https://...", "source": "Toman Library", "area_default": '
        '"Little Village", "languages_default": "en,es", "kind_default": "safe_space", "days": 60}]; only url is '
        "required. Empty = nothing is imported.",
    )
    import_every_h: float = Field(default=24, gt=0, description="Hours between two rounds of imports.")
    import_heartbeat: str = Field(
        default="var/event-import.heartbeat",
        description="A file the import touches between feeds and while it waits; "
        "`python -m api.events watch --healthy` reads its age.",
    )

    @field_validator("feeds", mode="before")
    @classmethod
    def _feeds(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return ()
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                # Not echoed: a feed's URL may be a private calendar link.
                raise ValueError(
                    f'not JSON ({exc.msg} at character {exc.pos}): write [{{"url": "..."}}, ...]'
                ) from None
        if not isinstance(value, list | tuple):
            raise ValueError('not a list of feeds: write [{"url": "..."}, ...]')
        feeds: list[EventFeed] = []
        for number, item in enumerate(value, 1):
            if isinstance(item, EventFeed):
                feeds.append(item)
                continue
            if not isinstance(item, dict):
                raise ValueError(f'feed {number}: not an object such as {{"url": "..."}}')
            try:
                feeds.append(EventFeed.model_validate(item))
            except ValidationError as exc:
                raise ValueError(f"feed {number}: {_error_text(exc.errors()[0])}") from None
        # Each import removes its source's upcoming events that its feed lacks: two feeds under one source would
        # remove each other's events every round.
        seen: dict[str, int] = {}
        for number, feed in enumerate(feeds, 1):
            source = feed.source or feed.url
            if source in seen:
                raise ValueError(
                    f"feed {number} has the source of feed {seen[source]}: give each feed a source of its own"
                )
            seen[source] = number
        return tuple(feeds)

    @property
    def every_s(self) -> float:
        return self.import_every_h * 3600


class SettingsProblem(ValueError):
    """A setting that cannot be used, named by its environment variable: for a command's one-line error."""


def load_settings(*kinds: type[BaseSettings]) -> tuple[BaseSettings, ...]:
    """Each settings class read from the environment, or SettingsProblem naming the variables that are wrong."""
    loaded = []
    for kind in kinds:
        try:
            loaded.append(kind())
        except ValidationError as exc:
            prefix = kind.model_config.get("env_prefix", "")
            problems = [f"{prefix}{'_'.join(map(str, e['loc']))}".upper() + f": {e['msg']}" for e in exc.errors()]
            raise SettingsProblem("; ".join(problems)) from exc
    return tuple(loaded)

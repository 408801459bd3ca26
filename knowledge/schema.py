"""The catalog record: one program, shaped after Open Referral HSDS (organization -> service -> location,
phone, schedule). Records live as YAML lists under ``knowledge/data/programs/``.

Cross-record rules (unique ids, known categories, SMS length) live in ``knowledge.validate`` because they
need the whole catalog or the taxonomy; everything a single record can check about itself lives here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

# Display formats we accept. N11 codes (211, 311, 911, 988) are dialable in Chicago; everything else is a
# 10-digit NANP number, optionally with the leading 1 that toll-free numbers are usually written with.
PHONE_RE = re.compile(r"^(?:[2-9]11|988|1-[2-9]\d{2}-\d{3}-\d{4}|[2-9]\d{2}-\d{3}-\d{4})(?: ext\. \d{1,6})?$")
# SMS short codes are 5-6 digits; text lines may also be ordinary numbers.
TEXT_NUMBER_RE = re.compile(r"^(?:\d{5,6}|988|1-[2-9]\d{2}-\d{3}-\d{4}|[2-9]\d{2}-\d{3}-\d{4})$")
ID_RE = r"^chi-\d{3}-[a-z0-9-]+$"
HHMM_RE = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


class Strict(BaseModel):
    # Typos in field names must fail validation instead of being silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    en: str = Field(min_length=1)
    es: str = Field(min_length=1)

    @field_validator("en", "es")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    def get(self, lang: str) -> str:
        return self.es if lang == "es" else self.en


class Phone(Strict):
    number: str
    label: Localized | None = None
    kind: Literal["voice", "voice_text", "tty", "fax"] = "voice"
    available_24_7: bool | None = None

    @field_validator("number")
    @classmethod
    def phone_format(cls, value: str) -> str:
        if not PHONE_RE.match(value):
            raise ValueError(f"bad phone {value!r}: use 312-555-0100, 1-800-555-0100 or an N11 code like 311")
        return value


class TextLine(Strict):
    number: str
    keyword: str | None = None
    note: Localized | None = None

    @field_validator("number")
    @classmethod
    def text_number_format(cls, value: str) -> str:
        if not TEXT_NUMBER_RE.match(value):
            raise ValueError(f"bad text number {value!r}: use a short code (741741) or 312-555-0100")
        return value


class Address(Strict):
    street: str = Field(min_length=3)
    city: str = "Chicago"
    state: str = Field(default="IL", pattern=r"^[A-Z]{2}$")
    zip: str | None = Field(default=None, pattern=r"^\d{5}$")

    def one_line(self) -> str:
        tail = f"{self.city}, {self.state}" + (f" {self.zip}" if self.zip else "")
        return f"{self.street}, {tail}"


class Location(Strict):
    name: str | None = None
    address: Address | None = None
    lat: float | None = None
    lon: float | None = None
    # How the point was obtained: "address" (from the street address on Chicago's grid or a known site),
    # "community_area" (the area's centroid: only an approximation, used where no address is published).
    geocode: Literal["address", "community_area", "zip"] | None = None
    community_area: int | None = Field(default=None, ge=1, le=77)
    # True for shelters and any site whose address must never be sent to a resident.
    confidential: bool = False

    @model_validator(mode="after")
    def point_is_complete(self) -> Location:
        if self.confidential and self.address is not None:
            raise ValueError("a confidential location must not carry an address: it could be sent by mistake")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        if self.lat is not None and self.geocode is None:
            raise ValueError("geocode must say how lat/lon were obtained")
        if self.lat is not None and not (36.9 <= self.lat <= 42.6 and -91.6 <= self.lon <= -87.0):  # type: ignore[operator]
            raise ValueError(f"coordinates {self.lat},{self.lon} are outside Illinois (lat/lon swapped?)")
        return self

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class TimeRange(Strict):
    days: list[Day] = Field(min_length=1)
    opens: str = Field(pattern=HHMM_RE)
    # "24:00" closes at midnight; a closing time before the opening time runs past midnight.
    closes: str = Field(pattern=HHMM_RE)


class Schedule(Strict):
    always_open: bool = False
    weekly: list[TimeRange] = []
    # Holidays, seasonal changes, "call first": shown to people, never used to compute open-now.
    note: Localized | None = None

    @model_validator(mode="after")
    def something_known(self) -> Schedule:
        if not self.always_open and not self.weekly and self.note is None:
            raise ValueError("a schedule needs always_open, weekly hours or a note (omit it when hours are unknown)")
        if self.always_open and self.weekly:
            raise ValueError("always_open and weekly hours contradict each other")
        return self


class Eligibility(Strict):
    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    residency: Literal["anyone", "chicago", "cook_county", "illinois", "us"] | None = None
    note: Localized | None = None

    @model_validator(mode="after")
    def ages_ordered(self) -> Eligibility:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is above age_max")
        return self


class ServiceArea(Strict):
    scope: Literal["community", "citywide", "county", "state", "national"]
    # For scope "community": the community area numbers (1-77) the program serves.
    community_areas: list[Annotated[int, Field(ge=1, le=77)]] = []

    @model_validator(mode="after")
    def areas_for_community_scope(self) -> ServiceArea:
        if self.scope == "community" and not self.community_areas:
            raise ValueError("scope 'community' needs community_areas")
        return self


class Source(Strict):
    url: HttpUrl
    # As precise as the source allows: 2024, 2024-10 or 2024-10-15.
    date: str | None = Field(default=None, pattern=r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")

    @field_validator("date", mode="before")
    @classmethod
    def yaml_dates_as_text(cls, value: object) -> object:
        # YAML reads 2024-10-15 as a date and 2019 as an int; both mean the text the source gave.
        if isinstance(value, dt.date | int):
            return value.isoformat() if isinstance(value, dt.date) else str(value)
        return value


class Verification(Strict):
    verified_on: dt.date
    method: str = Field(min_length=3)
    # Doubts staff must clear before relying on a fact (conflicting sources, stale pages, numbers seen once).
    notes: str | None = None


class Organization(Strict):
    name: str = Field(min_length=2)
    website: HttpUrl | None = None


class Program(Strict):
    id: str = Field(pattern=ID_RE)
    name: Localized
    # What a resident sees in a numbered SMS list; must fit one segment with the summary and a phone.
    short_name: Localized
    organization: Organization
    summary: Localized
    description: Localized
    categories: list[str] = Field(min_length=1)
    audiences: list[str] = []
    phones: list[Phone] = []
    text_line: TextLine | None = None
    website: HttpUrl | None = None
    locations: list[Location] = []
    service_area: ServiceArea
    # None when the hours are unknown: open-now is then unknown too, never guessed.
    schedule: Schedule | None = None
    languages: list[Language] = []
    languages_note: str | None = None
    eligibility: Eligibility = Eligibility()
    sources: list[Source] = Field(min_length=1)
    verification: Verification

    @model_validator(mode="after")
    def reachable(self) -> Program:
        if not self.phones and self.text_line is None and self.website is None:
            raise ValueError("a program needs a phone, a text line or a website so a resident can reach it")
        return self

    @property
    def primary_phone(self) -> Phone | None:
        voice = [p for p in self.phones if p.kind in ("voice", "voice_text")]
        return voice[0] if voice else (self.phones[0] if self.phones else None)

    @property
    def is_confidential(self) -> bool:
        return any(loc.confidential for loc in self.locations)

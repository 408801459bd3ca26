"""Community events and safe-space hours: the fields an event must have (from the console or a feed), and what
`GET /api/v1/events` sends, with each event's one-line SMS in the resident's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from api.schemas.programs import CommunityAreaOut, Lang, PlaceOut
from knowledge.geo import GEO_DIR, community_areas
from knowledge.sms import SEGMENT_CHARS, for_sms, segments
from knowledge.when import span_text

Kind = Literal["event", "safe_space"]
Audience = Literal["youth", "teens", "families", "seniors", "adults", "everyone"]
# The languages an event can be held in: English, Spanish and the languages of the City's language access ordinance
# most spoken in Chicago. ISO 639-1 codes, as the catalog's programs use.
LanguageCode = Literal["en", "es", "pl", "zh", "ar", "tl", "ko", "vi", "ru", "uk", "ur", "hi", "gu", "fr", "pt"]

KINDS: dict[str, str] = {"event": "Event", "safe_space": "Safe space"}
AUDIENCES: dict[str, str] = {
    "youth": "Youth",
    "teens": "Teens",
    "families": "Families",
    "seniors": "Seniors",
    "adults": "Adults",
    "everyone": "Everyone",
}
EVENT_LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "pl": "Polish",
    "zh": "Chinese",
    "ar": "Arabic",
    "tl": "Tagalog",
    "ko": "Korean",
    "vi": "Vietnamese",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "hi": "Hindi",
    "gu": "Gujarati",
    "fr": "French",
    "pt": "Portuguese",
}
MAX_TITLE, MAX_DESCRIPTION, MAX_ADDRESS = 200, 500, 300


@cache
def _area_shapes() -> tuple[tuple[int, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """Each community area's polygons' rings as (lon, lat) points, from the boundaries geo ships."""
    with (GEO_DIR / "community_areas.geojson").open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    shapes = []
    for feature in features:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for rings in polygons:
            shapes.append((int(feature["properties"]["number"]), tuple(tuple(map(tuple, r)) for r in rings)))
    return tuple(shapes)


def _inside(lon: float, lat: float, ring: tuple[tuple[float, float], ...]) -> bool:
    """Ray casting: whether the point is inside the ring."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def area_containing(lat: float, lon: float) -> int | None:
    """The community area whose boundary holds the point (outside its holes), or None outside Chicago."""
    for number, (outer, *holes) in _area_shapes():
        if _inside(lon, lat, outer) and not any(_inside(lon, lat, hole) for hole in holes):
            return number
    return None


def _in_order(values: list[str], order: dict[str, str]) -> list[str]:
    """Each once, in the fixed list's order, so equal choices compare equal (a re-import changes nothing)."""
    return [key for key in order if key in set(values)]


class EventIn(BaseModel):
    """An event as staff or a feed give it; times are aware (any zone) and kept in UTC."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title_en: str = Field(min_length=1, max_length=MAX_TITLE)
    title_es: str | None = Field(default=None, max_length=MAX_TITLE)
    description_en: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    description_es: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    kind: Kind = "event"
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    all_day: bool = False
    community_area: int
    address: str | None = Field(default=None, max_length=MAX_ADDRESS)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    audiences: list[Audience] = Field(min_length=1)
    languages: list[LanguageCode] = Field(min_length=1)

    @field_validator("title_es", "description_en", "description_es", "address", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if not 2000 <= value.year <= 2100:
            raise ValueError("must be between the years 2000 and 2100")
        # SQLite keeps no offset: every stored time is UTC, read back as UTC.
        return value.astimezone(UTC)

    @field_validator("community_area")
    @classmethod
    def _known_area(cls, value: int) -> int:
        if value not in community_areas():
            raise ValueError("must be one of Chicago's 77 community areas (1-77)")
        return value

    @field_validator("audiences")
    @classmethod
    def _audiences(cls, value: list[str]) -> list[str]:
        return _in_order(value, AUDIENCES)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return _in_order(value, EVENT_LANGUAGES)

    @model_validator(mode="after")
    def _consistent(self) -> EventIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("the event must end after it starts")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        if self.latitude is not None and self.longitude is not None:
            inside = area_containing(self.latitude, self.longitude)
            if inside is None:
                raise ValueError("the latitude and longitude are not in Chicago")
            if inside != self.community_area:
                areas = community_areas()
                raise ValueError(
                    f"the latitude and longitude are in {areas[inside].name}, not in "
                    f"{areas[self.community_area].name}: check the area or the point"
                )
        return self


def event_sms(
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    all_day: bool,
    community_area: int,
    address: str | None,
    lang: str,
    now: datetime | None = None,
) -> str:
    """The event as one text: "Sat Nov 28, 2-5pm: Teen Open Gym, 6300 S Halsted St (Englewood)", in GSM-7 where the
    language allows, cut to one segment when it is longer: the area goes first, then a long address and the title
    lose words ("...")."""
    when = span_text(starts_at, ends_at, all_day=all_day, lang=lang, now=now)
    area = community_areas()[community_area].name
    place = address or area
    suffix = f" ({area})" if address and area.casefold() not in address.casefold() else ""

    def line() -> str:
        return for_sms(f"{when}: {title}, {place}{suffix}")

    text = line()
    if segments(text) <= 1:
        return text
    suffix = ""
    text = line()
    # A long address gives way first, then the title, then the rest of the address.
    for part, keep in (("place", 60), ("title", 24), ("place", 24)):
        while segments(text) > 1 and len(place if part == "place" else title) > keep:
            if part == "place":
                place = _shorter(place)
            else:
                title = _shorter(title)
            text = line()
    if segments(text) <= 1:
        return text
    # Nothing left to drop (a script GSM-7 cannot spell holds 70 characters a segment): cut the end.
    text = text[:SEGMENT_CHARS]
    while len(text) > 1 and segments(text.rstrip() + "...") > 1:
        text = text[:-1]
    return text.rstrip() + "..."


def _shorter(text: str) -> str:
    """One word fewer, marked as cut."""
    text = text.removesuffix("...")
    words = text.split()
    return " ".join(words[:-1]) + "..." if len(words) > 1 else text[: max(len(text) - 8, 1)] + "..."


class EventOut(BaseModel):
    id: int
    kind: Kind
    title: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    community_area: CommunityAreaOut
    address: str | None
    latitude: float | None
    longitude: float | None
    audiences: list[str]
    languages: list[str]
    # From the `near` place to the site (or, without one, the community area's centroid); None without `near`.
    distance_km: float | None
    # One line for a text message, in the requested language.
    sms: str


class WindowOut(BaseModel):
    start: datetime
    end: datetime
    # What `when` was understood as (today, weekend, saturday ...) and in words; None for from/to.
    key: str | None
    label: str | None


class EventsResponse(BaseModel):
    lang: Lang
    near: PlaceOut | None
    window: WindowOut
    results: list[EventOut]
    # Matching events before `limit`.
    total: int

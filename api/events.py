"""Import events and safe-space hours from an iCalendar (.ics) feed, run by the operator (docs/events.md):

    python -m api.events import FILE_OR_URL [--area-default AREA] [--languages-default en,es]
                                            [--kind-default event|safe_space] [--days 60] [--source NAME] [--dry-run]
    python -m api.events watch [--once | --healthy]    # every NAVIGATOR_EVENT_FEEDS feed, each day (api/event_feeds.py)

Each VEVENT becomes an event in its community area: SUMMARY, DESCRIPTION, DTSTART/DTEND or DURATION (with TZID,
UTC, or floating = Chicago time; all-day dates), LOCATION (the address), GEO, CATEGORIES (audiences, "Safe space"),
and Navigator's X-NAVIGATOR-* properties (docs/events.md). A recurring event (RRULE, RDATE, EXDATE, RECURRENCE-ID)
becomes one event per occurrence within the next --days days. Importing the same feed again updates its events,
adds new ones and removes its upcoming ones the feed no longer has. An event whose place cannot be told for sure is
skipped and listed, never placed by guess. Prints counts; exits 2 with a one-line error when the feed or the
database cannot be used.

`watch` imports the feeds of NAVIGATOR_EVENT_FEEDS (each with these options) every NAVIGATOR_EVENT_IMPORT_EVERY_H
hours, through the same run_import; it is the Procfile's `events` process and the stack's `event-import` service.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import httpx
import icalendar
import sqlalchemy as sa
from dateutil.rrule import rruleset, rrulestr
from pydantic import ValidationError
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from api.core.settings import DatabaseSettings
from api.crud.events import EventError, Occurrence, import_occurrences, validated
from api.crud.referrals import audit
from api.db.session import make_engine, make_sessionmaker
from api.schemas.events import AUDIENCES, EVENT_LANGUAGES, KINDS, MAX_DESCRIPTION, MAX_TITLE, area_containing
from knowledge.audiences import AUDIENCE_WORDS, SAFE_SPACE_WORDS
from knowledge.geo import area_by_name, community_areas, fold, zip_codes
from knowledge.when import chicago

HORIZON_DAYS = 60
MAX_FEED_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT_S = 30
# More often than daily is not an event or opening hours; expanding it from an old DTSTART would take long.
FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
ACTOR = "import:events"

_ZIP_IN_TEXT = re.compile(r"\b(60[6-8]\d\d)(?:-\d{4})?\b")


class FeedError(RuntimeError):
    """Something the operator must fix (a path, a URL, a feed that is not iCalendar, a database); said in one line."""


class DatabaseUnusable(FeedError):
    """The database is not there, not migrated or not answering: no feed can be imported until it is (the scheduled
    import then tries again soon rather than a day later, and fetches no partner's feed meanwhile)."""


class Unplaced(ValueError):
    """An event whose community area cannot be told for sure."""


@dataclass(frozen=True)
class Defaults:
    """What an event that does not say gets: from the command line."""

    area: int | None = None
    languages: tuple[str, ...] = ("en",)
    kind: str = "event"
    audiences: tuple[str, ...] = ("everyone",)


@dataclass(frozen=True)
class Skipped:
    uid: str
    reason: str


@dataclass
class Parsed:
    occurrences: list[Occurrence] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    cancelled: int = 0


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- places ----------------------------------------------------------------------------------------------------


def area_named(text: str) -> int:
    """A community area from its number (1-77), name or alias, or a ZIP code that lies in one area only."""
    value = text.strip()
    if value.isdigit() and len(value) <= 2:
        if int(value) in community_areas():
            return int(value)
        raise Unplaced(f"{value} is not a community area number (1-77)")
    if re.fullmatch(r"\d{5}(?:-\d{4})?", value):
        areas = zip_codes().get(value[:5], (0.0, 0.0, ()))[2]
        if len(areas) == 1:
            return areas[0]
        if not areas:
            raise Unplaced(f"{value[:5]} is not a Chicago residential ZIP code")
        raise Unplaced(f"ZIP {value[:5]} spans {len(areas)} community areas: name the area")
    area = area_by_name(value)
    if area is None:
        raise Unplaced(f"{value[:60]!r} is not a Chicago community area")
    return area.number


def area_in_location(location: str) -> int | None:
    """The area a LOCATION names by itself: one of its comma-separated parts is an area's name or alias (and its ZIP
    code, if any, reaches that area), or its Chicago ZIP code lies in one area only. None when it names none, several,
    or an area its ZIP code contradicts."""
    named = {a.number for part in re.split(r"[,;\n]", location) if part.strip() and (a := area_by_name(part))}
    zip_areas: set[int] = set()
    for code in _ZIP_IN_TEXT.findall(location):
        zip_areas |= set(zip_codes().get(code, (0.0, 0.0, ()))[2])
    if len(named) == 1 and (not zip_areas or named <= zip_areas):
        return next(iter(named))
    if not named and len(zip_areas) == 1:
        return next(iter(zip_areas))
    return None


def place_of(event: icalendar.Event, master: icalendar.Event | None, default_area: int | None) -> tuple[int, Any]:
    """(community area, (lat, lon) or None): from X-NAVIGATOR-AREA, else GEO's point in an area's boundary, else
    LOCATION, else the feed's --area-default. A place given and not in Chicago is refused, not defaulted."""
    named = _text(_prop(event, master, "X-NAVIGATOR-AREA"))
    geo = _prop(event, master, "GEO")
    point = None
    if geo is not None:
        point = (float(geo.latitude), float(geo.longitude))
    area = area_named(named) if named else None
    if point is not None:
        inside = area_containing(*point)
        if inside is None:
            raise Unplaced(f"GEO {point[0]:.5f},{point[1]:.5f} is not in Chicago")
        area = area or inside
    if area is None:
        location = _text(_prop(event, master, "LOCATION"))
        area = area_in_location(location) if location else None
    area = area or default_area
    if area is None:
        raise Unplaced(
            "no community area: give X-NAVIGATOR-AREA, GEO, or a community area or one-area ZIP code in LOCATION "
            "(or import with --area-default)"
        )
    return area, point


# --- fields ----------------------------------------------------------------------------------------------------


def _prop(event: icalendar.Event, master: icalendar.Event | None, name: str) -> Any:
    """A property of the event, or of its series' master for an overridden occurrence that leaves it out."""
    value = event.get(name)
    if value is None and master is not None:
        value = master.get(name)
    return value


def _text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def _list(value: Any) -> list[str]:
    """A comma-separated property (or several of it) as its parts."""
    values = value if isinstance(value, list) else [value] if value is not None else []
    parts: list[str] = []
    for one in values:
        items = one.cats if hasattr(one, "cats") else [one]
        for item in items:
            parts += [p.strip() for p in re.split(r"[,;]", str(item)) if p.strip()]
    return parts


def languages_in(values: Iterable[str]) -> list[str]:
    """Language tags ("en", "es-MX", "ES") as the fixed list's codes; an unknown one is an error."""
    codes = []
    for value in values:
        code = value.strip().lower().replace("_", "-").split("-")[0]
        if code not in EVENT_LANGUAGES:
            raise ValueError(f"language {value[:20]!r} is not one of {', '.join(EVENT_LANGUAGES)}")
        codes.append(code)
    return codes


def languages_option(value: str) -> tuple[str, ...]:
    """--languages-default (and a feed setting's languages_default): "en,es" as codes, each once, or ValueError."""
    codes = languages_in(p for p in re.split(r"[,\s]+", value) if p)
    if not codes:
        raise ValueError("give one language or more, e.g. en,es")
    return tuple(dict.fromkeys(codes))


def days_option(days: int) -> int:
    """--days (and a feed setting's days): 1 to 366, or ValueError."""
    if not 1 <= days <= 366:
        raise ValueError("must be from 1 to 366")
    return days


def url_to_fetch(location: str) -> str | None:
    """The http(s) URL to fetch for a feed given as a URL (webcal:// is https://), None for a file path; FeedError for
    another scheme."""
    if "://" not in location:
        return None
    url = "https://" + location.removeprefix("webcal://") if location.startswith("webcal://") else location
    if not url.startswith(("http://", "https://")):
        raise FeedError("give a file path or an http://, https:// or webcal:// URL")
    return url


def _language_of(value: Any) -> str:
    """A property's LANGUAGE parameter as a two-letter code ("es-MX" -> "es"), or ""."""
    params = getattr(value, "params", None) or {}
    return str(params.get("LANGUAGE") or "").strip().lower()[:2]


def describe_fields(event: icalendar.Event, master: icalendar.Event | None, defaults: Defaults) -> dict[str, Any]:
    """Everything but the times, as EventIn takes it."""
    summary = _prop(event, master, "SUMMARY")
    title = _text(summary)
    if not title:
        raise ValueError("no SUMMARY (title)")
    # SUMMARY and DESCRIPTION are in their LANGUAGE parameter's language (English unless they say); the other
    # language's text comes from X-NAVIGATOR-TITLE-EN/-ES and X-NAVIGATOR-DESCRIPTION-EN/-ES.
    summary_lang = "es" if _language_of(summary) == "es" else "en"
    description = _prop(event, master, "DESCRIPTION")
    description_lang = "es" if (_language_of(description) or _language_of(summary)) == "es" else "en"
    titles = {lang: _text(_prop(event, master, f"X-NAVIGATOR-TITLE-{lang.upper()}")) for lang in ("en", "es")}
    texts = {lang: _text(_prop(event, master, f"X-NAVIGATOR-DESCRIPTION-{lang.upper()}")) for lang in ("en", "es")}
    titles[summary_lang] = title
    if _text(description):
        texts[description_lang] = _text(description)
    # A Spanish-only event shows its Spanish title in English replies too, rather than none.
    titles["en"] = titles["en"] or title

    categories = _list(_prop(event, master, "CATEGORIES"))
    folded = [fold(c) for c in categories]
    explicit_audiences = _list(_prop(event, master, "X-NAVIGATOR-AUDIENCES"))
    if explicit_audiences:
        audiences = [a.strip().lower() for a in explicit_audiences]
        unknown = [a for a in audiences if a not in AUDIENCES]
        if unknown:
            raise ValueError(f"audience {unknown[0][:20]!r} is not one of {', '.join(AUDIENCES)}")
    else:
        audiences = [AUDIENCE_WORDS[f] for f in folded if f in AUDIENCE_WORDS] or list(defaults.audiences)

    explicit_kind = _text(_prop(event, master, "X-NAVIGATOR-KIND")).lower().replace("-", "_").replace(" ", "_")
    if explicit_kind and explicit_kind not in KINDS:
        raise ValueError(f"X-NAVIGATOR-KIND {explicit_kind[:20]!r} is not one of {', '.join(KINDS)}")
    kind = explicit_kind or ("safe_space" if SAFE_SPACE_WORDS & set(folded) else defaults.kind)

    explicit_languages = _list(_prop(event, master, "X-NAVIGATOR-LANGUAGES"))
    if explicit_languages:
        languages = languages_in(explicit_languages)
    elif _language_of(summary) in EVENT_LANGUAGES:
        languages = [_language_of(summary)]
    else:
        languages = list(defaults.languages)

    location = _text(_prop(event, master, "LOCATION"))
    return {
        "title_en": _clip(titles["en"], MAX_TITLE),
        "title_es": _clip(titles["es"], MAX_TITLE) or None,
        "description_en": _clip(texts["en"], MAX_DESCRIPTION) or None,
        "description_es": _clip(texts["es"], MAX_DESCRIPTION) or None,
        "kind": kind,
        "audiences": audiences,
        "languages": languages,
        "address": _clip(location, 300) or None,
    }


# --- times -----------------------------------------------------------------------------------------------------


def _zone_of(value: date | datetime) -> tzinfo:
    """A DTSTART's clock: its TZID (or UTC); floating times and dates are Chicago's."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.tzinfo
    return chicago()


def _wall(value: date | datetime, zone: tzinfo) -> datetime:
    """The naive wall-clock time in `zone`, the clock recurrences are counted on (so 6 pm stays 6 pm across DST)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def _aware(wall: datetime, zone: tzinfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _occurrence_key(start_utc: datetime, all_day: bool, wall: datetime) -> str:
    return wall.strftime("%Y%m%d") if all_day else start_utc.strftime("%Y%m%dT%H%M%SZ")


def _times(event: icalendar.Event) -> tuple[date | datetime, timedelta | int, bool]:
    """(DTSTART, length, all-day): an all-day event's length in days, a timed one's as an exact duration."""
    start = event.start
    end = event.end  # from DTEND, DURATION, or RFC 5545's defaults (a day for a date, zero for a time)
    all_day = not isinstance(start, datetime)
    if all_day:
        days = (end - start).days if not isinstance(end, datetime) else 1
        return start, max(days, 1), True
    zone = _zone_of(start)
    length = _aware(_wall(end, zone), zone) - _aware(_wall(start, zone), zone)
    if length <= timedelta(0):
        raise ValueError("it ends before it starts, or has no end (DTEND or DURATION)")
    return start, length, False


def _span(wall: datetime, zone: tzinfo, length: timedelta | int, all_day: bool) -> tuple[datetime, datetime]:
    if all_day:
        # A Chicago day, midnight to midnight (23 or 25 hours on the days the clocks change).
        return _aware(wall, chicago()), _aware(wall + timedelta(days=int(length)), chicago())  # type: ignore[arg-type]
    start = _aware(wall, zone)
    return start, start + length  # type: ignore[operator]


def _until_on_wall(rule: icalendar.vRecur, zone: tzinfo) -> icalendar.vRecur:
    """The rule with UNTIL on the same wall clock as DTSTART (dateutil wants both naive or both aware)."""
    rule = icalendar.vRecur(rule)
    until = rule.get("UNTIL")
    if until:
        value = until[0]
        rule["UNTIL"] = [_wall(value, zone) if isinstance(value, datetime) else datetime.combine(value, time.max)]
    return rule


def occurrence_walls(
    event: icalendar.Event, start: date | datetime, zone: tzinfo, after: datetime, before: datetime
) -> list[datetime]:
    """The wall-clock starts of a series between `after` and `before` (naive, on the series' clock): DTSTART, the
    RRULEs' and RDATEs' dates, less the EXDATEs."""
    first = _wall(start, zone)
    series = rruleset()
    series.rdate(first)
    for rule in event.rrules:
        frequency = (rule.get("FREQ") or [""])[0]
        if frequency not in FREQUENCIES:
            raise ValueError(f"RRULE FREQ={frequency or '?'} is not supported (daily or less often)")
        series.rrule(rrulestr(_until_on_wall(rule, zone).to_ical().decode(), dtstart=first))
    for value, _ in event.rdates:
        series.rdate(_wall(value, zone))
    for value in event.exdates:
        series.exdate(_wall(value, zone))
    return list(series.between(after, before, inc=True))


def parse_feed(data: bytes, *, now: datetime, days: int = HORIZON_DAYS, defaults: Defaults | None = None) -> Parsed:
    """A feed's upcoming occurrences (ending after `now`; a series' up to `days` ahead), and what was skipped."""
    defaults = defaults or Defaults()
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError:
        raise FeedError("this is not an iCalendar feed: it does not parse as one VCALENDAR") from None
    if calendar.name != "VCALENDAR":
        raise FeedError(
            f"this is not an iCalendar feed: it holds a {calendar.name or 'nameless component'}, not a VCALENDAR"
        )
    horizon = now + timedelta(days=days)
    masters: dict[str, icalendar.Event] = {}
    overrides: dict[str, dict[str, icalendar.Event]] = {}
    parsed = Parsed()
    for event in calendar.walk("VEVENT"):
        uid = _text(event.get("UID"))
        if not uid:
            parsed.skipped.append(
                Skipped(f"(no UID) {_text(event.get('SUMMARY'))[:40]}", "no UID, so a re-import could not find it")
            )
            continue
        try:
            recurrence = event.get("RECURRENCE-ID")
            if recurrence is None:
                masters.setdefault(uid, event)
                continue
            value = recurrence.dt
            zone = _zone_of(value)
            wall = _wall(value, zone)
            key = _occurrence_key(_aware(wall, zone), not isinstance(value, datetime), wall)
        except (ValueError, TypeError, AttributeError) as exc:
            parsed.skipped.append(Skipped(uid, f"bad RECURRENCE-ID: {_reason(exc)}"))
            continue
        overrides.setdefault(uid, {})[key] = event

    for uid in list(masters) + [u for u in overrides if u not in masters]:
        master = masters.get(uid)
        try:
            if master is not None:
                _expand(parsed, uid, master, overrides.get(uid, {}), now=now, horizon=horizon, defaults=defaults)
            for key, event in overrides.get(uid, {}).items():
                _single(parsed, uid, key, event, master, now=now, defaults=defaults)
        except Unplaced as exc:
            parsed.skipped.append(Skipped(uid, str(exc)))
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            parsed.skipped.append(Skipped(uid, _reason(exc)))
    return parsed


def _reason(exc: Exception) -> str:
    text = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0][:160]


def _cancelled(event: icalendar.Event) -> bool:
    return _text(event.get("STATUS")).upper() == "CANCELLED"


def _expand(
    parsed: Parsed,
    uid: str,
    master: icalendar.Event,
    overridden: dict[str, icalendar.Event],
    *,
    now: datetime,
    horizon: datetime,
    defaults: Defaults,
) -> None:
    if _cancelled(master):
        parsed.cancelled += 1
        return
    start, length, all_day = _times(master)
    zone = chicago() if all_day else _zone_of(start)
    recurring = bool(master.rrules or master.rdates)
    reach = timedelta(days=int(length)) if all_day else length  # type: ignore[arg-type]
    # Wide by a day on each side (a wall clock is up to a day from UTC); the exact test is on UTC below.
    after = _wall(now - reach - timedelta(days=1), zone)
    before = _wall(horizon + timedelta(days=1), zone) if recurring else datetime.max
    walls = occurrence_walls(master, start, zone, after, before) if recurring else [_wall(start, zone)]
    base: dict[str, Any] | None = None
    for wall in walls:
        starts_at, ends_at = _span(wall, zone, length, all_day)
        key = _occurrence_key(_aware(wall, zone), all_day, wall) if recurring else ""
        if ends_at <= now or (recurring and starts_at >= horizon) or key in overridden:
            continue
        if base is None:
            base = _common(master, None, defaults)
        parsed.occurrences.append(
            Occurrence(uid, key, validated({**base, "starts_at": starts_at, "ends_at": ends_at, "all_day": all_day}))
        )


def _single(
    parsed: Parsed,
    uid: str,
    key: str,
    event: icalendar.Event,
    master: icalendar.Event | None,
    *,
    now: datetime,
    defaults: Defaults,
) -> None:
    """An overridden occurrence of a series (RECURRENCE-ID): its own times, its series' fields where it has none."""
    if _cancelled(event):
        parsed.cancelled += 1
        return
    start, length, all_day = _times(event)
    zone = chicago() if all_day else _zone_of(start)
    starts_at, ends_at = _span(_wall(start, zone), zone, length, all_day)
    if ends_at <= now:
        return
    fields = {**_common(event, master, defaults), "starts_at": starts_at, "ends_at": ends_at, "all_day": all_day}
    parsed.occurrences.append(Occurrence(uid, key, validated(fields)))


def _common(event: icalendar.Event, master: icalendar.Event | None, defaults: Defaults) -> dict[str, Any]:
    area, point = place_of(event, master, defaults.area)
    fields = describe_fields(event, master, defaults)
    fields["community_area"] = area
    fields["latitude"], fields["longitude"] = point if point else (None, None)
    return fields


# --- reading, storing, reporting -------------------------------------------------------------------------------


def read_feed(location: str) -> tuple[bytes, str]:
    """The feed's bytes and its source name: the URL as given, or the file's absolute file:// URI."""
    url = url_to_fetch(location)
    if url is not None:
        try:
            with httpx.stream(
                "GET", url, timeout=FETCH_TIMEOUT_S, follow_redirects=True, headers={"User-Agent": "navigator-events"}
            ) as answer:
                if answer.status_code != 200:
                    raise FeedError(f"the feed answered HTTP {answer.status_code}")
                data = b""
                for chunk in answer.iter_bytes():
                    data += chunk
                    if len(data) > MAX_FEED_BYTES:
                        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES // 1024 // 1024} MB")
        except httpx.HTTPError as exc:
            raise FeedError(f"cannot fetch the feed: {type(exc).__name__}") from None
        return data, location
    path = Path(location)
    try:
        if path.stat().st_size > MAX_FEED_BYTES:
            raise FeedError(f"{location} is larger than {MAX_FEED_BYTES // 1024 // 1024} MB")
        return path.read_bytes(), path.resolve().as_uri()
    except FileNotFoundError:
        raise FeedError(f"no such file: {location}") from None
    except IsADirectoryError:
        raise FeedError(f"{location} is a folder, not an .ics file") from None
    except OSError as exc:
        raise FeedError(f"cannot read {location}: {exc.strerror or type(exc).__name__}") from None


@dataclass(frozen=True)
class Report:
    source: str
    created: int
    updated: int
    unchanged: int
    removed: int
    skipped: list[Skipped]
    cancelled: int
    dry_run: bool

    def text(self) -> str:
        lines = [
            f"events from {self.source}",
            f"new: {self.created}, changed: {self.updated}, unchanged: {self.unchanged}, "
            f"removed (no longer in the feed): {self.removed}, cancelled in the feed: {self.cancelled}",
            f"skipped: {len(self.skipped)}",
        ]
        lines += [f"  {s.uid}: {s.reason}" for s in self.skipped]
        if self.dry_run:
            lines.append("dry run: nothing was changed")
        return "\n".join(lines)


def _first_line(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def open_database(database_url: str) -> tuple[Engine, str]:
    """An engine on a migrated database, and its URL to show (password hidden); DatabaseUnusable otherwise."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        # Not echoed: a malformed URL may still hold a password.
        raise DatabaseUnusable("NAVIGATOR_DATABASE_URL is not a database URL") from None
    shown = url.render_as_string(hide_password=True)
    # SQLite would make an empty database at a wrong path, and the import would then fail for want of a table.
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        raise DatabaseUnusable(
            f"no database at {shown}: no such file (run from the checkout, or set NAVIGATOR_DATABASE_URL)"
        )
    engine = make_engine(database_url)
    try:
        if not sa.inspect(engine).has_table("community_events"):
            raise DatabaseUnusable(
                f"the database at {shown} has no community_events table: run python -m api.db.migrate"
            )
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseUnusable(f"the database at {shown} failed: {_first_line(exc)}") from None
    except DatabaseUnusable:
        engine.dispose()
        raise
    return engine, shown


def run_import(
    *,
    database_url: str,
    location: str,
    source: str | None = None,
    defaults: Defaults | None = None,
    days: int = HORIZON_DAYS,
    dry_run: bool = False,
    now: datetime | None = None,
) -> Report:
    """Read, parse and store a feed in one transaction, with one audit entry; nothing is stored when any step fails."""
    now = now or utcnow()
    data, feed_source = read_feed(location)
    source = source or feed_source
    if len(source) > 500:
        raise FeedError("the source name is longer than 500 characters: give a shorter one with --source")
    parsed = parse_feed(data, now=now, days=days, defaults=defaults)
    engine, shown = open_database(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            counts = import_occurrences(session, source=source, occurrences=parsed.occurrences, now=now)
            detail = (
                f"+{counts.created} ~{counts.updated} -{counts.removed} skipped {len(parsed.skipped)} from {source}"
            )
            audit(session, actor=ACTOR, action="import_events", code=None, detail=detail)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    except SQLAlchemyError as exc:
        raise FeedError(f"the database at {shown} failed: {_first_line(exc)}") from None
    except EventError as exc:
        raise FeedError(str(exc)) from None
    finally:
        engine.dispose()
    return Report(
        source=source,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        removed=counts.removed,
        skipped=parsed.skipped,
        cancelled=parsed.cancelled,
        dry_run=dry_run,
    )


# --- the command line ------------------------------------------------------------------------------------------


def _area_option(value: str) -> int:
    try:
        return area_named(value)
    except Unplaced as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _languages_option(value: str) -> tuple[str, ...]:
    try:
        return languages_option(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _days_option(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {value[:20]!r}") from None
    try:
        return days_option(days)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api.events", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    imports = commands.add_parser("import", help="import (or re-import) an iCalendar feed")
    imports.add_argument("location", metavar="FILE_OR_URL", help="an .ics file, or an http(s):// or webcal:// URL")
    imports.add_argument(
        "--area-default",
        type=_area_option,
        metavar="AREA",
        help="the community area (name, number or one-area ZIP code) of events that give no place",
    )
    imports.add_argument(
        "--languages-default",
        type=_languages_option,
        default=("en",),
        metavar="CODES",
        help="the languages of events that do not say (default en); e.g. en,es",
    )
    imports.add_argument("--kind-default", choices=list(KINDS), default="event", help="default event")
    imports.add_argument(
        "--days",
        type=_days_option,
        default=HORIZON_DAYS,
        help=f"how far ahead recurrences are expanded ({HORIZON_DAYS})",
    )
    imports.add_argument(
        "--source", help="the name to keep the feed's events under (default: the URL, or the file's path)"
    )
    imports.add_argument("--dry-run", action="store_true", help="read and check the feed; change nothing")
    watch = commands.add_parser(
        "watch", help="import every feed of NAVIGATOR_EVENT_FEEDS every NAVIGATOR_EVENT_IMPORT_EVERY_H hours"
    )
    how = watch.add_mutually_exclusive_group()
    how.add_argument("--once", action="store_true", help="one round, then exit: 0 when every feed was imported, else 1")
    how.add_argument("--healthy", action="store_true", help="exit 0 if the running import's loop is turning")
    args = parser.parse_args(argv)
    if args.command == "watch":
        # Imported here: api.event_feeds imports this module for run_import.
        from api.event_feeds import watch_command

        return watch_command(once=args.once, healthy_only=args.healthy)

    try:
        database_url = DatabaseSettings().database_url
    except ValidationError as exc:
        print(f"error: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    defaults = Defaults(area=args.area_default, languages=args.languages_default, kind=args.kind_default)
    try:
        report = run_import(
            database_url=database_url,
            location=args.location,
            source=args.source,
            defaults=defaults,
            days=args.days,
            dry_run=args.dry_run,
        )
    except FeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

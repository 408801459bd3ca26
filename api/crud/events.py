"""Community events and safe-space hours: add, change and delete them, find the upcoming ones, and make a feed's
import match the feed.

Like the other helpers, these add and change rows in the caller's transaction and flush (so a new event has its id)
without committing: the console writes the audit entry that describes the change and commits both together.
Audience and language filters run in Python over the window's rows: they are JSON lists, which SQLite and PostgreSQL
query differently, and a window holds a few hundred events at most.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db.models import CommunityEvent
from api.schemas.events import EventIn

# Who else an audience's events are for: teens go to youth events and youth to teen ones, and everyone's events are
# for all. Asking for "everyone" finds the events open to anyone.
AUDIENCE_MATCHES: dict[str, frozenset[str]] = {
    "youth": frozenset({"youth", "teens", "everyone"}),
    "teens": frozenset({"teens", "youth", "everyone"}),
    "families": frozenset({"families", "everyone"}),
    "seniors": frozenset({"seniors", "everyone"}),
    "adults": frozenset({"adults", "everyone"}),
    "everyone": frozenset({"everyone"}),
}
FIELDS = tuple(EventIn.model_fields)
CONSOLE = "console"


class EventError(ValueError):
    """An event that cannot be saved; the message is safe to show to staff."""


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def validated(data: dict[str, object]) -> EventIn:
    """EventIn from plain values, or EventError naming each problem in words."""
    try:
        return EventIn.model_validate(data)
    except ValidationError as exc:
        raise EventError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    labels = {
        "title_en": "the English title",
        "title_es": "the Spanish title",
        "description_en": "the English description",
        "description_es": "the Spanish description",
        "kind": "the kind",
        "starts_at": "the start",
        "ends_at": "the end",
        "community_area": "the community area",
        "address": "the address",
        "latitude": "the latitude",
        "longitude": "the longitude",
        "audiences": "the audiences",
        "languages": "the languages",
    }
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "too_short" and field in ("audiences", "languages"):
            message = "choose at least one"
        elif error["type"] == "string_too_short":
            message = "is required"
        elif error["type"] == "string_too_long":
            message = f"is too long: keep it to {error['ctx']['max_length']} characters"
        elif error["type"] == "literal_error":
            message = "must be one from the list"
        problems.append(f"{labels[field]} {message}" if field in labels else message)
    return "; ".join(dict.fromkeys(problems))


def _apply(event: CommunityEvent, fields: EventIn) -> bool:
    """Copy the fields onto the row; whether anything changed."""
    changed = False
    for name in FIELDS:
        value = getattr(fields, name)
        current = getattr(event, name)
        if isinstance(current, datetime):
            current = as_utc(current)
        if current != value:
            setattr(event, name, value)
            changed = True
    return changed


def create_event(
    session: Session,
    *,
    fields: EventIn,
    created_by: int | None,
    source: str = CONSOLE,
    ical_uid: str | None = None,
    recurrence_id: str = "",
) -> CommunityEvent:
    event = CommunityEvent(source=source, ical_uid=ical_uid, recurrence_id=recurrence_id, created_by=created_by)
    _apply(event, fields)
    session.add(event)
    session.flush()
    return event


def update_event(session: Session, *, event: CommunityEvent, fields: EventIn, updated_by: int | None) -> bool:
    """Change an event; whether anything changed (an unchanged save writes nothing)."""
    if not _apply(event, fields):
        return False
    event.updated_by = updated_by
    event.updated_at = datetime.now(UTC)
    session.flush()
    return True


def delete_event(session: Session, *, event: CommunityEvent) -> None:
    session.delete(event)
    session.flush()


def get_event(session: Session, *, event_id: int) -> CommunityEvent | None:
    return session.get(CommunityEvent, event_id)


def fields_of(event: CommunityEvent) -> EventIn:
    return EventIn.model_validate(
        {name: as_utc(v) if isinstance(v := getattr(event, name), datetime) else v for name in FIELDS}
    )


def audience_matches(audiences: Iterable[str], wanted: str) -> bool:
    return bool(AUDIENCE_MATCHES.get(wanted, frozenset({wanted})) & set(audiences))


def events_between(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    kind: str | None = None,
    community_area: int | None = None,
    source: str | None = None,
) -> list[CommunityEvent]:
    """Events overlapping [start, end) that have not ended by `now`, soonest first."""
    query = select(CommunityEvent).where(
        CommunityEvent.ends_at > max(start, now).astimezone(UTC),
        CommunityEvent.starts_at < end.astimezone(UTC),
    )
    if kind:
        query = query.where(CommunityEvent.kind == kind)
    if community_area:
        query = query.where(CommunityEvent.community_area == community_area)
    if source == CONSOLE:
        query = query.where(CommunityEvent.source == CONSOLE)
    elif source == "feeds":
        query = query.where(CommunityEvent.source != CONSOLE)
    return list(session.scalars(query.order_by(CommunityEvent.starts_at, CommunityEvent.id)))


def filtered(
    events: Iterable[CommunityEvent], *, audience: str | None = None, language: str | None = None, broad: bool = True
) -> list[CommunityEvent]:
    """Events for an audience (broad: as residents mean it, see AUDIENCE_MATCHES; else the exact tag) and held in
    a language."""
    kept = []
    for event in events:
        if audience and not (audience_matches(event.audiences, audience) if broad else audience in event.audiences):
            continue
        if language and language not in event.languages:
            continue
        kept.append(event)
    return kept


# --- imports ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One dated occurrence of a feed's event: its UID, which occurrence ("" for a single event) and its fields."""

    uid: str
    recurrence_id: str
    fields: EventIn


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int
    removed: int


def import_occurrences(session: Session, *, source: str, occurrences: list[Occurrence], now: datetime) -> ImportCounts:
    """Make the source's events match the feed: add what is new, change what changed, and remove the source's
    upcoming events the feed no longer has (cancelled, or moved out of it). Past events are left as they were."""
    if source == CONSOLE:
        raise EventError("'console' names the events added in the console, not a feed")
    existing = {
        (e.ical_uid, e.recurrence_id): e
        for e in session.scalars(select(CommunityEvent).where(CommunityEvent.source == source))
    }
    created = updated = unchanged = 0
    seen: set[tuple[str, str]] = set()
    for occurrence in occurrences:
        key = (occurrence.uid, occurrence.recurrence_id)
        if key in seen:
            continue  # the same occurrence twice in one feed: the first wins
        seen.add(key)
        event = existing.get(key)
        if event is None:
            create_event(
                session,
                fields=occurrence.fields,
                created_by=None,
                source=source,
                ical_uid=occurrence.uid,
                recurrence_id=occurrence.recurrence_id,
            )
            created += 1
        elif update_event(session, event=event, fields=occurrence.fields, updated_by=None):
            updated += 1
        else:
            unchanged += 1
    gone = [e.id for key, e in existing.items() if key not in seen and as_utc(e.ends_at) > now]
    if gone:
        session.execute(delete(CommunityEvent).where(CommunityEvent.id.in_(gone)))
    session.flush()
    return ImportCounts(created=created, updated=updated, unchanged=unchanged, removed=len(gone))

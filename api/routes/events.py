"""GET /api/v1/events: upcoming community events and safe-space hours near a place, for the action server and the
public page.

Events that have not ended and overlap the window (`when` in the resident's words, or `from`/`to`; by default the
next 60 days), nearest first (from `near` to the event's site, or its community area's centroid, to 0.1 km), then
soonest. Each carries its one-line SMS in `lang`. Public and capped per client address like the program endpoints;
the action server's token is never capped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.core.throttle import public_throttle
from api.crud.events import as_utc, events_between, filtered
from api.db.models import CommunityEvent
from api.dependencies import SessionDep
from api.errors import invalid
from api.schemas.events import Audience, EventOut, EventsResponse, Kind, LanguageCode, WindowOut, event_sms
from api.schemas.programs import CommunityAreaOut, Lang, PlaceOut
from knowledge.geo import Place, UnknownPlace, community_areas, haversine_km, resolve
from knowledge.when import chicago, find_window

HORIZON = timedelta(days=60)
LONGEST_WINDOW = timedelta(days=366)
MAX_LIMIT = 50

router = APIRouter(
    prefix="/api/v1/events",
    tags=["events"],
    dependencies=[Depends(public_throttle)],
    responses={
        401: {"description": "A token was sent and it is not the service token."},
        429: {"description": "Too many requests from this address; see Retry-After."},
    },
)


def now_utc() -> datetime:
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(now_utc)]


def moment(value: str | None, param: str) -> datetime | None:
    """An ISO 8601 date or date-time; without an offset it is Chicago time (a date: its midnight)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid(
            param, "Give an ISO 8601 date or date-time, e.g. 2026-11-28 or 2026-11-28T18:00-06:00.", value
        ) from None
    if not 2000 <= parsed.year <= 2100:
        # Far dates overflow the arithmetic on them (a year 9999 plus 60 days); no event is there anyway.
        raise invalid(param, "Give a date between the years 2000 and 2100.", value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=chicago())


def distance(place: Place, event: CommunityEvent) -> float:
    if event.latitude is not None and event.longitude is not None:
        lat, lon = event.latitude, event.longitude
    else:
        area = community_areas()[event.community_area]
        lat, lon = area.lat, area.lon
    return round(haversine_km(place.lat, place.lon, lat, lon), 1)


def event_out(event: CommunityEvent, lang: str, km: float | None, now: datetime) -> EventOut:
    es = lang == "es"
    title = event.title_es if es and event.title_es else event.title_en
    description = event.description_es if es and event.description_es else event.description_en
    area = community_areas()[event.community_area]
    starts_at, ends_at = as_utc(event.starts_at), as_utc(event.ends_at)
    return EventOut(
        id=event.id,
        kind=event.kind,  # type: ignore[arg-type]
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=event.all_day,
        community_area=CommunityAreaOut(number=area.number, name=area.name),
        address=event.address,
        latitude=event.latitude,
        longitude=event.longitude,
        audiences=list(event.audiences),
        languages=list(event.languages),
        distance_km=km,
        sms=event_sms(
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            all_day=event.all_day,
            community_area=event.community_area,
            address=event.address,
            lang=lang,
            now=now,
        ),
    )


@router.get("")
def upcoming_events(
    session: SessionDep,
    now: Now,
    near: Annotated[
        str | None, Query(max_length=100, description="ZIP code, community area or 'lat,lon': nearest first.")
    ] = None,
    when: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The time in the resident's words: today, tonight, tomorrow, this weekend, a weekday; hoy, "
            "esta noche, mañana, este fin de semana, el sábado ... Not with from/to.",
        ),
    ] = None,
    start: Annotated[
        str | None, Query(alias="from", max_length=40, description="ISO 8601; Chicago time without an offset.")
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", max_length=40, description="ISO 8601, exclusive; default 60 days after from.")
    ] = None,
    audience: Annotated[
        Audience | None, Query(description="Teens also find youth events and the reverse; everyone's are for all.")
    ] = None,
    kind: Kind | None = None,
    language: Annotated[LanguageCode | None, Query(description="Only events held in this language.")] = None,
    lang: Annotated[Lang, Query(description="The language of titles and SMS lines.")] = "en",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> EventsResponse:
    place = None
    if near is not None:
        try:
            place = resolve(near)
        except UnknownPlace as exc:
            raise invalid("near", str(exc), near) from exc
    window = None
    if when is not None:
        if start is not None or end is not None:
            raise invalid("when", "Give either when or from/to, not both.", when)
        window = find_window(when, now=now)
        if window is None:
            raise invalid(
                "when",
                "We don't understand this time: try today, tonight, tomorrow, this weekend or a weekday "
                "(hoy, esta noche, mañana, este fin de semana, el sábado).",
                when,
            )
        begin, finish = window.start, window.end
    else:
        begin = moment(start, "from") or now
        finish = moment(end, "to") or max(begin, now) + HORIZON
    if finish <= begin:
        raise invalid("to", "The window must end after it starts.", end)
    if finish - begin > LONGEST_WINDOW:
        raise invalid("to", "The window can be at most 366 days long.", end)

    events = filtered(
        events_between(session, start=begin, end=finish, now=now, kind=kind), audience=audience, language=language
    )
    ranked = [(distance(place, e) if place else None, e) for e in events]
    ranked.sort(key=lambda pair: (pair[0] or 0.0, as_utc(pair[1].starts_at), pair[1].id))
    return EventsResponse(
        lang=lang,
        near=PlaceOut.of(place) if place else None,
        window=WindowOut(
            start=begin.astimezone(chicago()),
            end=finish.astimezone(chicago()),
            key=window.key if window else None,
            label=window.label(lang) if window else None,
        ),
        results=[event_out(e, lang, km, now) for km, e in ranked[:limit]],
        total=len(ranked),
    )

"""The staff console's events pages: upcoming community events and safe-space hours, added, changed and deleted by
outreach workers and supervisors (docs/events.md).

`/staff/events` lists the upcoming ones (filters: community area, kind, audience, language, where they came from);
`/staff/events/new` adds one; an event's page changes or deletes it. Times are entered and shown in Chicago time.
Outreach workers and supervisors add and change any event; deleting one is for supervisors and for the person who
added it. Events imported from a feed can be changed here, but the next import of their feed puts the feed's
version back: correct those at the source. Every change goes on the audit log with the change, in one commit.

Sessions, CSRF, error pages and templates are console.py's own (imported, not copied).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.core.auth import require_role
from api.crud.events import (
    CONSOLE,
    EventError,
    as_utc,
    create_event,
    delete_event,
    events_between,
    filtered,
    get_event,
    update_event,
    validated,
)
from api.crud.referrals import audit
from api.db.models import CommunityEvent, StaffUser
from api.dependencies import SessionDep
from api.routes import referrals
from api.routes.console import CHICAGO, ConsoleRoute, Poster, Staff, choice, redirect, render, staff_names
from api.schemas.events import AUDIENCES, EVENT_LANGUAGES, KINDS, MAX_ADDRESS, MAX_DESCRIPTION, MAX_TITLE
from knowledge.geo import community_areas
from knowledge.when import span_text

router = APIRouter(prefix="/staff/events", route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
# The console lists what is coming up this far ahead (a feed's recurrences are imported 60 days ahead).
LISTED_DAYS = 366
SOURCES = {"console": "Added in the console", "feeds": "Imported from feeds"}
DONE = {
    "added": "Event added.",
    "changed": "Event saved.",
    "unchanged": "Nothing changed.",
    "deleted": "Event deleted.",
}
TEXT_FIELDS = ("title_en", "title_es", "description_en", "description_es", "address", "latitude", "longitude")


def area_names() -> dict[str, str]:
    return {str(a.number): a.name for a in sorted(community_areas().values(), key=lambda a: a.name)}


def may_delete(user: StaffUser, event: CommunityEvent) -> bool:
    return user.role == "supervisor" or event.created_by == user.id


def event_or_404(session: Session, event_id: int) -> CommunityEvent:
    event = get_event(session, event_id=event_id)
    if event is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No event with this number: it may have been deleted.")
    return event


def describe(event: CommunityEvent) -> str:
    """The audit entry's detail: which event, never more than its public facts."""
    day = as_utc(event.starts_at).astimezone(CHICAGO).date().isoformat()
    return f"event {event.id} on {day} in area {event.community_area}: {event.title_en}"


# --- the list --------------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def events_page(
    request: Request,
    session: SessionDep,
    user: Staff,
    area: Annotated[str, Query(max_length=2)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
    audience: Annotated[str, Query(max_length=16)] = "",
    language: Annotated[str, Query(max_length=3)] = "",
    source: Annotated[str, Query(max_length=16)] = "",
    done: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    require_role("outreach", "supervisor")(user)
    areas = area_names()
    filters = {
        "area": choice(area, areas, "community area"),
        "kind": choice(kind, KINDS, "kind"),
        "audience": choice(audience, AUDIENCES, "audience"),
        "language": choice(language, EVENT_LANGUAGES, "language"),
        "source": choice(source, SOURCES, "source"),
    }
    now = datetime.now(CHICAGO)
    upcoming = events_between(
        session,
        start=now,
        end=now + timedelta(days=LISTED_DAYS),
        now=now,
        kind=kind or None,
        community_area=int(area) if area else None,
        source=source or None,
    )
    # On the console a filter is the tag as staff set it: "teens" lists the events marked for teens.
    rows = filtered(upcoming, audience=audience or None, language=language or None, broad=False)
    shown = [
        {"event": e, "span": span_text(as_utc(e.starts_at), as_utc(e.ends_at), all_day=e.all_day, lang="en", now=now)}
        for e in rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    kept = {k: v for k, v in filters.items() if v}
    return render(
        "events.html",
        user,
        request=request,
        rows=shown,
        total=len(rows),
        filters=filters,
        areas=areas,
        area_of={int(k): v for k, v in areas.items()},
        kinds=KINDS,
        audiences=AUDIENCES,
        event_languages=EVENT_LANGUAGES,
        sources=SOURCES,
        names=staff_names(session),
        done=DONE.get(done, ""),
        page=page,
        earlier=urlencode({**kept, "page": page - 1}) if page > 1 else "",
        later=urlencode({**kept, "page": page + 1}) if len(rows) > page * PAGE_SIZE else "",
        filtered=bool(kept),
        listed_days=LISTED_DAYS,
    )


# --- the form --------------------------------------------------------------------------------------------------


def form_of(event: CommunityEvent) -> dict[str, Any]:
    """The form's values for a stored event, in Chicago time."""
    start = as_utc(event.starts_at).astimezone(CHICAGO)
    end = as_utc(event.ends_at).astimezone(CHICAGO)
    if event.all_day:
        end -= timedelta(days=1)  # the last day, as staff enter it
    return {
        **{name: "" if getattr(event, name) is None else str(getattr(event, name)) for name in TEXT_FIELDS},
        "kind": event.kind,
        "starts_on": start.date().isoformat(),
        "starts_time": "" if event.all_day else start.strftime("%H:%M"),
        # Empty for a one-day event, as the add form leaves it: moving such an event is then changing its start day.
        "ends_on": "" if end.date() == start.date() else end.date().isoformat(),
        "ends_time": "" if event.all_day else end.strftime("%H:%M"),
        "all_day": event.all_day,
        "community_area": str(event.community_area),
        "audiences": list(event.audiences),
        "languages": list(event.languages),
    }


def _day(value: str, what: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise EventError(f"give {what} as a date (YYYY-MM-DD)") from None
    if not 2000 <= day.year <= 2100:
        raise EventError(f"give {what} between the years 2000 and 2100")
    return day


def _clock(value: str, what: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise EventError(f"give {what} as a time (HH:MM)") from None


def fields_from(form: dict[str, Any]) -> dict[str, Any]:
    """The form as EventIn's values: Chicago dates and times to aware datetimes; an all-day event runs from its first
    day's midnight to the midnight after its last day."""
    if not form["starts_on"]:
        raise EventError("give the day it starts")
    first = _day(form["starts_on"], "the day it starts")
    last = _day(form["ends_on"], "the day it ends") if form["ends_on"] else first
    if form["all_day"]:
        starts_at = datetime.combine(first, time(0), tzinfo=CHICAGO)
        ends_at = datetime.combine(last + timedelta(days=1), time(0), tzinfo=CHICAGO)
    else:
        if not form["starts_time"] or not form["ends_time"]:
            raise EventError("give the times it starts and ends, or mark it all day")
        starts_at = datetime.combine(first, _clock(form["starts_time"], "the start time"), tzinfo=CHICAGO)
        ends_at = datetime.combine(last, _clock(form["ends_time"], "the end time"), tzinfo=CHICAGO)
        if ends_at <= starts_at and not form["ends_on"]:
            raise EventError("it ends before it starts: for an event past midnight, give the day it ends")
    if not form["address"].strip():
        raise EventError("give the address (or the place's name and address)")
    numbers = {}
    for name in ("latitude", "longitude"):
        try:
            numbers[name] = float(form[name]) if form[name] else None
        except ValueError:
            raise EventError(f"the {name} must be a number such as 41.7795") from None
    try:
        area = int(form["community_area"])
    except ValueError:
        raise EventError("choose the community area") from None
    return {
        "title_en": form["title_en"],
        "title_es": form["title_es"],
        "description_en": form["description_en"],
        "description_es": form["description_es"],
        "kind": form["kind"],
        "starts_at": starts_at,
        "ends_at": ends_at,
        "all_day": form["all_day"],
        "community_area": area,
        "address": form["address"],
        "audiences": form["audiences"],
        "languages": form["languages"],
        **numbers,
    }


def form_page(
    request: Request,
    session: Session,
    user: StaffUser,
    *,
    form: dict[str, Any],
    event: CommunityEvent | None = None,
    message: str = "",
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "events_form.html",
        user,
        request=request,
        status_code=status_code,
        form=form,
        event=event,
        imported=event is not None and event.source != CONSOLE,
        may_delete=event is not None and may_delete(user, event),
        names=staff_names(session),
        areas=area_names(),
        kinds=KINDS,
        audiences=AUDIENCES,
        event_languages=EVENT_LANGUAGES,
        max_title=MAX_TITLE,
        max_description=MAX_DESCRIPTION,
        max_address=MAX_ADDRESS,
        message=message,
        done=DONE.get(done, ""),
    )


# Form fields: no max_length on the texts, so a long one gets the page's own message with what was typed, not the
# generic 422 page (the inputs stop at their maxlength, and Starlette caps a form field at 1 MB).
Text = Annotated[str, Form()]
Choices = Annotated[list[str], Form()]


def posted_form(
    title_en: Text = "",
    title_es: Text = "",
    description_en: Text = "",
    description_es: Text = "",
    kind: Text = "event",
    starts_on: Text = "",
    starts_time: Text = "",
    ends_on: Text = "",
    ends_time: Text = "",
    all_day: Text = "",
    community_area: Text = "",
    address: Text = "",
    latitude: Text = "",
    longitude: Text = "",
    audiences: Choices = [],  # noqa: B006 - FastAPI copies a default, it is never mutated
    languages: Choices = [],  # noqa: B006
) -> dict[str, Any]:
    return {
        "title_en": title_en,
        "title_es": title_es,
        "description_en": description_en,
        "description_es": description_es,
        "kind": kind,
        "starts_on": starts_on.strip(),
        "starts_time": starts_time.strip(),
        "ends_on": ends_on.strip(),
        "ends_time": ends_time.strip(),
        "all_day": all_day == "true",
        "community_area": community_area,
        "address": address,
        "latitude": latitude.strip(),
        "longitude": longitude.strip(),
        # Each once, and only known ones: a forged value is dropped here, and EventIn wants at least one.
        "audiences": [a for a in dict.fromkeys(audiences) if a in AUDIENCES],
        "languages": [code for code in dict.fromkeys(languages) if code in EVENT_LANGUAGES],
    }


# The add and edit forms post the same fields: read once, as a dependency of both.
PostedForm = Annotated[dict[str, Any], Depends(posted_form)]


@router.get("/new", response_class=HTMLResponse)
def new_event(request: Request, session: SessionDep, user: Staff) -> Response:
    require_role("outreach", "supervisor")(user)
    blank = {name: "" for name in TEXT_FIELDS}
    form = {
        **blank,
        "kind": "event",
        "starts_on": "",
        "starts_time": "",
        "ends_on": "",
        "ends_time": "",
        "all_day": False,
        "community_area": "",
        "audiences": [],
        "languages": ["en"],
    }
    return form_page(request, session, user, form=form)


@router.post("", response_class=HTMLResponse)
def add_event(
    request: Request,
    session: SessionDep,
    user: Poster,
    form: PostedForm,
) -> Response:
    require_role("outreach", "supervisor")(user)
    try:
        event = create_event(session, fields=validated(fields_from(form)), created_by=user.id)
    except EventError as exc:
        session.rollback()
        message = f"Not added: {exc}."
        return form_page(request, session, user, form=form, message=message, status_code=422)
    audit(session, actor=referrals.actor(user), action="add_event", code=None, detail=describe(event))
    session.commit()
    return redirect(f"/staff/events/{event.id}?done=added")


@router.get("/{event_id}", response_class=HTMLResponse)
def event_view(request: Request, event_id: int, session: SessionDep, user: Staff, done: str = "") -> Response:
    require_role("outreach", "supervisor")(user)
    event = event_or_404(session, event_id)
    return form_page(request, session, user, form=form_of(event), event=event, done=done)


@router.post("/{event_id}", response_class=HTMLResponse)
def change_event(
    request: Request,
    event_id: int,
    session: SessionDep,
    user: Poster,
    form: PostedForm,
) -> Response:
    require_role("outreach", "supervisor")(user)
    event = event_or_404(session, event_id)
    try:
        changed = update_event(session, event=event, fields=validated(fields_from(form)), updated_by=user.id)
    except EventError as exc:
        session.rollback()
        message = f"Not saved: {exc}."
        return form_page(request, session, user, form=form, event=event, message=message, status_code=422)
    if not changed:
        return redirect(f"/staff/events/{event.id}?done=unchanged")
    audit(session, actor=referrals.actor(user), action="change_event", code=None, detail=describe(event))
    session.commit()
    return redirect(f"/staff/events/{event.id}?done=changed")


@router.post("/{event_id}/delete", response_class=HTMLResponse)
def remove_event(event_id: int, session: SessionDep, user: Poster) -> Response:
    require_role("outreach", "supervisor")(user)
    event = event_or_404(session, event_id)
    if not may_delete(user, event):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Only a supervisor or the person who added this event can delete it."
        )
    detail = describe(event)
    delete_event(session, event=event)
    audit(session, actor=referrals.actor(user), action="delete_event", code=None, detail=detail)
    session.commit()
    return redirect("/staff/events?done=deleted")

"""The staff console's events pages (/staff/events), on SQLite and PostgreSQL: who may open them, adding, changing
and deleting an event through its forms (Chicago times in, UTC stored), the CSRF token, the audit log, filters and
escaping. Each "browser" is its own TestClient with its own cookie jar (tests/api/test_console.py's helpers); each
test's events are titled with a tag of their own."""

from __future__ import annotations

import html
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from api.crud.events import create_event, validated
from api.crud.referrals import audit_entries
from api.db.models import CommunityEvent
from knowledge.when import chicago
from tests.api.test_console import body_rows, browser, csrf_of, post_form, signed_in

EVENTS = "/staff/events"


@pytest.fixture
def day() -> date:
    """A Saturday a month to a year ahead (the list shows a year), one of this test's own as far as chance goes."""
    ahead = date.today() + timedelta(days=30 + uuid.uuid4().int % 300)
    return ahead + timedelta(days=(5 - ahead.weekday()) % 7)


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:8]


def form(day: date, tag: str, **changes) -> dict:
    values = {
        "title_en": f"Teen Open Gym {tag}",
        "title_es": f"Gimnasio abierto {tag}",
        "description_en": "Basketball and games.",
        "description_es": "",
        "kind": "event",
        "starts_on": day.isoformat(),
        "starts_time": "14:00",
        "ends_on": "",
        "ends_time": "17:00",
        "community_area": "68",
        "address": "Kennedy-King College, 6301 S Halsted St",
        "latitude": "",
        "longitude": "",
        "audiences": ["teens", "youth"],
        "languages": ["en", "es"],
    }
    values.update(changes)
    return values


def events_titled(db, tag: str) -> list[CommunityEvent]:
    db.expire_all()
    return list(db.scalars(select(CommunityEvent).where(CommunityEvent.title_en.contains(tag))))


def entries(db, tag: str) -> list[tuple[str, str]]:
    return sorted((e.action, e.actor) for e in audit_entries(db, limit=2000) if tag in e.detail)


def add_by_form(b, day: date, tag: str, **changes):
    return post_form(b, f"{EVENTS}/new", EVENTS, **form(day, tag, **changes))


def test_events_pages_by_role(client, people, db, day, tag):
    users, _ = people
    event = create_event(db, fields=validated(as_fields(day, tag)), created_by=users["supervisor"].id)
    db.commit()
    browsers = {"anonymous": browser(client)} | {
        name: signed_in(client, users[name]) for name in ("outreach", "supervisor", "admin")
    }
    pages = [EVENTS, f"{EVENTS}/new", f"{EVENTS}/{event.id}", f"{EVENTS}/999999999"]
    expected = {  # anonymous, outreach, supervisor, admin
        EVENTS: (303, 200, 200, 403),
        f"{EVENTS}/new": (303, 200, 200, 403),
        f"{EVENTS}/{event.id}": (303, 200, 200, 403),
        f"{EVENTS}/999999999": (303, 404, 404, 403),
    }
    assert {page: tuple(b.get(page).status_code for b in browsers.values()) for page in pages} == expected
    assert browsers["anonymous"].get(EVENTS).headers["location"] == "/staff/login?next=%2Fstaff%2Fevents"
    assert "This needs the role outreach or supervisor." in browsers["admin"].get(EVENTS).text
    assert "No event with this number" in browsers["outreach"].get(f"{EVENTS}/999999999").text
    # In the navigation of those who may open it, marked on its pages; the console's headers.
    page = browsers["outreach"].get(EVENTS)
    assert '<a href="/staff/events" aria-current="page">Events</a>' in page.text
    assert '<a href="/staff/events">Events</a>' in browsers["supervisor"].get("/staff").text
    assert 'href="/staff/events"' not in browsers["admin"].get("/staff/accounts").text
    assert (
        page.headers["cache-control"] == "no-store" and "form-action 'self'" in page.headers["content-security-policy"]
    )
    assert browsers["outreach"].get(f"{EVENTS}/abc").status_code == 422


def as_fields(day: date, tag: str, **changes) -> dict:
    start = datetime.combine(day, datetime.min.time(), tzinfo=chicago()).replace(hour=14)
    values = {
        "title_en": f"Stored {tag}",
        "kind": "event",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "community_area": 68,
        "address": "6301 S Halsted St",
        "audiences": ["teens"],
        "languages": ["en"],
    }
    values.update(changes)
    return values


def test_outreach_adds_an_event_in_chicago_time(client, people, db, day, tag):
    users, _ = people
    b = signed_in(client, users["outreach"])
    added = add_by_form(b, day, tag)
    assert added.status_code == 303, added.text
    [event] = events_titled(db, tag)
    assert added.headers["location"] == f"{EVENTS}/{event.id}?done=added"
    start = datetime.combine(day, datetime.min.time(), tzinfo=chicago()).replace(hour=14)
    assert (event.starts_at.replace(tzinfo=UTC) if event.starts_at.tzinfo is None else event.starts_at) == start
    assert (event.title_es, event.description_en, event.description_es) == (
        f"Gimnasio abierto {tag}", "Basketball and games.", None,
    )  # fmt: skip
    assert (event.community_area, event.audiences, event.languages, event.kind) == (
        68, ["youth", "teens"], ["en", "es"], "event",
    )  # fmt: skip
    assert (event.source, event.ical_uid, event.created_by, event.all_day) == (
        "console",
        None,
        users["outreach"].id,
        False,
    )
    page = b.get(added.headers["location"]).text
    assert "Event added." in page and f'value="Teen Open Gym {tag}"' in page and 'value="14:00"' in page
    assert entries(db, tag) == [("add_event", f"staff:{users['outreach'].id}")]

    # Listed among the upcoming events, with its time in words and its area; filters narrow the list. (The shared
    # database holds other tests' imported feeds too: this looks among the console's own.)
    listed = b.get(EVENTS, params={"source": "console"}).text
    [row] = [r for r in body_rows(listed) if tag in r[1]]
    assert row[0] == f"{day.strftime('%a %b %-d')}, 2-5pm" and row[3] == "Englewood"
    assert row[4] == "Youth, Teens" and row[5] == "English, Spanish" and row[6] == users["outreach"].display_name
    assert any(tag in r[1] for r in body_rows(b.get(EVENTS, params={"area": "68", "audience": "teens"}).text))
    for params in ({"area": "32"}, {"audience": "families"}, {"language": "pl"}, {"kind": "safe_space"},
                   {"source": "feeds"}):  # fmt: skip
        shown = b.get(EVENTS, params=params).text
        assert not any(tag in r[1] for r in body_rows(shown) if len(r) > 1), params
    assert b.get(EVENTS, params={"area": "99"}).status_code == 422

    # All day, several days.
    all_day = add_by_form(b, day, tag + "b", all_day="true", ends_on=(day + timedelta(days=1)).isoformat())
    assert all_day.status_code == 303
    [long] = events_titled(db, tag + "b")
    starts, ends = (m if m.tzinfo else m.replace(tzinfo=UTC) for m in (long.starts_at, long.ends_at))
    assert long.all_day and starts == datetime.combine(day, datetime.min.time(), tzinfo=chicago())
    assert ends == datetime.combine(day + timedelta(days=2), datetime.min.time(), tzinfo=chicago())


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"title_en": "  "}, "the English title is required"),
        ({"title_en": "x" * 201}, "the English title is too long: keep it to 200 characters"),
        ({"starts_on": ""}, "give the day it starts"),
        ({"starts_on": "next week"}, "give the day it starts as a date (YYYY-MM-DD)"),
        ({"ends_on": "9999-12-31"}, "give the day it ends between the years 2000 and 2100"),
        ({"ends_time": "13:00"}, "it ends before it starts: for an event past midnight, give the day it ends"),
        ({"ends_time": ""}, "give the times it starts and ends, or mark it all day"),
        ({"audiences": []}, "the audiences choose at least one"),
        ({"languages": ["xx"]}, "the languages choose at least one"),
        ({"community_area": ""}, "choose the community area"),
        ({"community_area": "78"}, "the community area must be one of Chicago's 77 community areas (1-77)"),
        ({"address": ""}, "give the address"),
        ({"latitude": "42.0456", "longitude": "-87.6877"}, "the latitude and longitude are not in Chicago"),
        ({"latitude": "41.78"}, "give both latitude and longitude, or neither"),
        ({"latitude": "41.8789", "longitude": "-87.6359"}, "the latitude and longitude are in Loop, not in Englewood"),
        ({"latitude": "north"}, "the latitude must be a number"),
        ({"kind": "party"}, "the kind must be one from the list"),
        ({"description_es": "y" * 501}, "the Spanish description is too long: keep it to 500 characters"),
    ],
)
def test_a_wrong_form_is_shown_again_with_what_was_typed(client, people, db, day, tag, changes, says):
    users, _ = people
    b = signed_in(client, users["supervisor"])
    answer = add_by_form(b, day, tag, **changes)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    message = html.unescape(answer.text.split('<div class="alert error" role="alert"><p>')[1].split("</p>")[0])
    assert message.startswith("Not added: ") and says in message, message
    assert "Traceback" not in answer.text and f"Gimnasio abierto {tag}" in answer.text  # kept, to be corrected
    assert events_titled(db, tag) == [] and entries(db, tag) == []


def test_change_and_delete_with_roles_and_audit(client, people, db, day, tag):
    users, _ = people
    outreach, other, supervisor = (signed_in(client, users[n]) for n in ("outreach", "outreach-other", "supervisor"))
    assert add_by_form(outreach, day, tag).status_code == 303
    [event] = events_titled(db, tag)
    url = f"{EVENTS}/{event.id}"

    # Anyone of the two roles may change it; the page shows who added and who changed it.
    changed = post_form(other, url, url, **form(day, tag, title_en=f"Teen Open Gym {tag} moved", starts_time="15:00"))
    assert changed.status_code == 303 and changed.headers["location"] == f"{url}?done=changed"
    [event] = events_titled(db, tag)
    assert event.title_en.endswith("moved") and event.updated_by == users["outreach-other"].id
    page = other.get(changed.headers["location"]).text
    assert "Event saved." in page and f"by {users['outreach'].display_name}" in page
    # Saving without a change writes nothing.
    same = post_form(other, url, url, **form(day, tag, title_en=f"Teen Open Gym {tag} moved", starts_time="15:00"))
    assert same.headers["location"] == f"{url}?done=unchanged"
    wrong = post_form(other, url, url, **form(day, tag, audiences=[]))
    assert wrong.status_code == 422 and "Not saved: the audiences choose at least one." in html.unescape(wrong.text)
    assert events_titled(db, tag)[0].audiences == ["youth", "teens"]

    # Deleting is for a supervisor and for the one who added it.
    assert "Delete this event" not in other.get(url).text
    refused = post_form(other, url, f"{url}/delete")
    assert refused.status_code == 403 and "Only a supervisor or the person who added this event" in refused.text
    assert len(events_titled(db, tag)) == 1
    assert "Delete this event" in outreach.get(url).text
    gone = post_form(outreach, url, f"{url}/delete")
    assert gone.status_code == 303 and gone.headers["location"] == f"{EVENTS}?done=deleted"
    assert events_titled(db, tag) == [] and outreach.get(url).status_code == 404
    assert "Event deleted." in outreach.get(gone.headers["location"]).text

    # A supervisor deletes anyone's.
    assert add_by_form(other, day, tag + "s").status_code == 303
    [second] = events_titled(db, tag + "s")
    assert post_form(supervisor, f"{EVENTS}/{second.id}", f"{EVENTS}/{second.id}/delete").status_code == 303
    assert events_titled(db, tag + "s") == []

    assert entries(db, tag) == sorted([
        ("add_event", f"staff:{users['outreach'].id}"),
        ("change_event", f"staff:{users['outreach-other'].id}"),
        ("delete_event", f"staff:{users['outreach'].id}"),
        ("add_event", f"staff:{users['outreach-other'].id}"),
        ("delete_event", f"staff:{users['supervisor'].id}"),
    ])  # fmt: skip
    log = supervisor.get("/staff/audit").text
    assert "add event" in log and "change event" in log and "delete event" in log


def test_forms_need_the_pages_token(client, people, db, day, tag):
    users, _ = people
    b, someone = signed_in(client, users["supervisor"]), signed_in(client, users["outreach"])
    event = create_event(db, fields=validated(as_fields(day, tag)), created_by=users["supervisor"].id)
    db.commit()
    url = f"{EVENTS}/{event.id}"
    someone_elses = csrf_of(someone.get(url))
    for token in ({}, {"csrf": "0" * 64}, {"csrf": someone_elses}):
        for action in (EVENTS, url, f"{url}/delete"):
            answer = b.post(action, data={**form(day, tag + "x"), **token})
            assert answer.status_code == 403 and "did not come from a console page" in answer.text
    assert browser(client).post(EVENTS, data=form(day, tag)).headers["location"] == "/staff/login"
    admin = signed_in(client, users["admin"])
    assert post_form(admin, "/staff/accounts", EVENTS, **form(day, tag + "x")).status_code == 403
    assert [e.title_en for e in events_titled(db, tag)] == [f"Stored {tag}"] and entries(db, tag) == []


def test_text_is_escaped_and_imported_events_say_where_they_come_from(client, people, db, day, tag):
    users, _ = people
    b = signed_in(client, users["outreach"])
    title = f'<script>alert("x")</script> {tag}'
    assert add_by_form(b, day, tag, title_en=title).status_code == 303
    listed = b.get(EVENTS, params={"source": "console"}).text
    assert "<script>alert" not in listed and f"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; {tag}" in listed
    fields = as_fields(day, tag, title_en=f"From a feed {tag}", community_area=76, address="O'Hare Airport")
    imported = create_event(db, fields=validated(fields), created_by=None, source="https://partners.example/feed.ics",
                            ical_uid="gym@partners.example")  # fmt: skip
    db.commit()
    page = b.get(f"{EVENTS}/{imported.id}").text
    assert "Imported from the calendar feed" in page and "https://partners.example/feed.ics" in page
    assert "The next import of\nthat feed puts the feed's version back" in page
    # The one who added it is nobody: only a supervisor may delete an imported event.
    assert "Delete this event" not in page
    assert "Delete this event" in signed_in(client, users["supervisor"]).get(f"{EVENTS}/{imported.id}").text
    [row] = [r for r in body_rows(b.get(EVENTS, params={"source": "feeds", "area": "76"}).text) if tag in r[1]]
    assert row[6] == "Feed"

"""The staff console's events pages (/staff/events, docs/events.md "In the console") in a real browser: Debian's
chromium (headless, Playwright) against `python -m api` run as a process (tests/browser/test_console.py's way), once
on SQLite and once on PostgreSQL, with an outreach worker and a supervisor made by the CLI.

An outreach worker adds an event by keyboard and finds it in the list and on its page at the Chicago time typed; a
wrong value shows the form again with the message and what was typed, and saves nothing; any of them changes an
event, a supervisor deletes it; markup in a title is kept as typed and shown as text; axe-core finds nothing serious
on the list, the form (also with an error) and an event's page.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.factories import PASSWORD
from tests.browser.chromium import CHROMIUM, DESKTOP
from tests.browser.conftest import recording_page
from tests.browser.test_console import serious_violations, sign_in
from tests.conftest import BACKENDS, ROOT, postgres_schema
from tests.stack import ApiProcess, StackFailed, api_env

SUPERVISOR = ("sara.events@cscc.example", "Sara Events")
OUTREACH = ("omar.outreach@cscc.example", "Omar Outreach")
CHICAGO = ZoneInfo("America/Chicago")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium: run `make browser` (make test does)"
)


@dataclass
class Api:
    url: str


@pytest.fixture(scope="module", params=BACKENDS)
def api(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"events-{request.param}")
    with ExitStack() as stack:
        if request.param == "postgresql":
            database = stack.enter_context(postgres_schema())  # skips when no PostgreSQL listens
        else:
            database = f"sqlite:///{tmp / 'navigator.db'}"
        env = api_env(tmp, database, secrets.token_urlsafe(24))
        for (email, name), role in ((SUPERVISOR, "supervisor"), (OUTREACH, "outreach")):
            made = subprocess.run(
                [str(ROOT / ".venv" / "bin" / "python"), "-m", "api.staff", "create", "--email", email, "--role",
                 role, "--name", name, "--password-stdin"],
                input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env},
                timeout=120,
            )  # fmt: skip
            assert made.returncode == 0, made.stderr
        try:
            with ApiProcess(env, log=tmp / "api.log") as process:
                yield Api(process.url)
        except StackFailed as exc:
            pytest.fail(str(exc))


@pytest.fixture
def page(browser, api):
    """A fresh browser profile (no cookie), recording every request, every error and every dialog."""
    for page in recording_page(browser, viewport=DESKTOP, locale="en-US"):
        page.dialogs = []  # type: ignore[attr-defined]

        def answer(dialog, page=page):
            page.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.accept()

        page.on("dialog", answer)
        yield page


def signed_in(page, api: Api, who: tuple[str, str]) -> None:
    from playwright.sync_api import expect

    sign_in(page, api, who[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral queue")
    expect(page.locator(".signout .who")).to_contain_text(who[1])


def open_events(page) -> None:
    """From any console page, by the navigation."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Events").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Events and safe spaces")


def days_ahead(days: int) -> date:
    return datetime.now(CHICAGO).date() + timedelta(days=days)


def day_text(day: date) -> str:
    """How the console writes a day that is neither today nor tomorrow: "Sat Dec 19"."""
    return f"{day:%a %b} {day.day}"


def event_rows(page):
    return page.locator("table.events tbody tr")


def row_of(page, title: str):
    return event_rows(page).filter(has=page.get_by_role("link", name=title, exact=True))


def key_in(page, label: str, keys: str) -> None:
    """Focus a field by its label and type into it, as a keyboard does."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(keys)


def add_by_fill(page, api: Api, **fields) -> str:
    """Add an event through the form (filled, not typed: for the tests about what comes after); its page's URL."""
    from playwright.sync_api import expect

    page.goto(f"{api.url}/staff/events/new")
    page.get_by_label("Title in English").fill(fields["title_en"])
    page.get_by_label("Title in Spanish (optional)").fill(fields.get("title_es", ""))
    page.get_by_label("Kind", exact=True).select_option(label=fields.get("kind", "Event"))
    page.get_by_label("Day it starts").fill(fields["day"].isoformat())
    page.get_by_label("Start time").fill(fields["start"])
    page.get_by_label("End time").fill(fields["end"])
    page.get_by_label("Community area").select_option(label=fields["area"])
    page.get_by_label("Address").fill(fields["address"])
    for audience in fields["audiences"]:
        page.get_by_role("checkbox", name=audience, exact=True).check()
    page.get_by_role("button", name="Add event").click()
    expect(page.get_by_role("status")).to_have_text("Event added.")
    return page.url.split("?")[0]


def test_an_outreach_worker_adds_an_event_by_keyboard_and_sees_the_chicago_time_typed(page, api):
    from playwright.sync_api import expect

    day = days_ahead(23)
    title, title_es = "Teen open gym night", "Gimnasio abierto para jóvenes"
    signed_in(page, api, OUTREACH)
    open_events(page)
    expect(page.get_by_role("navigation", name="Console").get_by_role("link", name="Events")).to_have_attribute(
        "aria-current", "page"
    )
    violations = serious_violations(page)
    shown_before = event_rows(page).count()

    page.get_by_role("link", name="Add an event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New event")
    violations += serious_violations(page)

    key_in(page, "Title in English", title)
    key_in(page, "Title in Spanish (optional)", title_es)
    key_in(page, "Kind", "Safe")  # a closed select picks the option its typed letters start
    expect(page.get_by_label("Kind", exact=True)).to_have_value("safe_space")
    # Chromium's date and time fields, as typed in en-US: month day year, hour minute AM/PM.
    key_in(page, "Day it starts", f"{day:%m%d%Y}")
    expect(page.get_by_label("Day it starts")).to_have_value(day.isoformat())
    # 6:30 pm in Chicago is past midnight in UTC: a day or an offset lost on the way would show.
    key_in(page, "Start time", "0630P")
    expect(page.get_by_label("Start time")).to_have_value("18:30")
    key_in(page, "End time", "0845P")
    expect(page.get_by_label("End time")).to_have_value("20:45")
    key_in(page, "Community area", "Englewood")
    expect(page.get_by_label("Community area")).to_have_value("68")
    key_in(page, "Address", "6300 S Halsted St")
    for checkbox in ("Teens", "Families", "Spanish"):
        page.get_by_role("checkbox", name=checkbox, exact=True).focus()
        page.keyboard.press("Space")
        expect(page.get_by_role("checkbox", name=checkbox, exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="English", exact=True)).to_be_checked()  # the form's default
    # From the last language, the next Tab stop is the button, and Enter sends the form.
    page.get_by_role("checkbox", name="Portuguese", exact=True).focus()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Add event")
    page.keyboard.press("Enter")

    # The event's page: what was typed, the Chicago time as typed.
    expect(page.get_by_role("status")).to_have_text("Event added.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_label("Title in Spanish (optional)")).to_have_value(title_es)
    expect(page.get_by_label("Kind", exact=True)).to_have_value("safe_space")
    expect(page.get_by_label("Day it starts")).to_have_value(day.isoformat())
    expect(page.get_by_label("Start time")).to_have_value("18:30")
    expect(page.get_by_label("End time")).to_have_value("20:45")
    expect(page.get_by_label("Community area")).to_have_value("68")
    expect(page.get_by_label("Address")).to_have_value("6300 S Halsted St")
    checked = page.locator("fieldset input:checked")
    expect(checked).to_have_count(4)
    assert [checked.nth(i).get_attribute("value") for i in range(4)] == ["teens", "families", "en", "es"]
    expect(page.locator(".facts")).to_contain_text(f"by {OUTREACH[1]}")
    # The person who added it may delete it.
    expect(page.get_by_role("button", name="Delete this event")).to_be_visible()
    violations += serious_violations(page)

    # The list: one more row, with the time and the choices in words.
    page.get_by_role("link", name="Back to the events").click()
    expect(event_rows(page)).to_have_count(shown_before + 1)
    row = row_of(page, title)
    expect(row.locator("td").nth(0)).to_have_text(f"{day_text(day)}, 6:30-8:45pm")
    expect(row.locator("th")).to_contain_text("6300 S Halsted St")
    expect(row.locator("td").nth(1)).to_have_text("Safe space")
    expect(row.locator("td").nth(2)).to_have_text("Englewood")
    expect(row.locator("td").nth(3)).to_have_text("Teens, Families")
    expect(row.locator("td").nth(4)).to_have_text("English, Spanish")
    expect(row.locator("td").nth(5)).to_have_text(OUTREACH[1])
    row.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    assert violations == []
    assert page.errors == []
    assert all(url.startswith(f"{api.url}/") for url in page.requests), page.requests


def test_a_wrong_value_shows_the_form_again_with_what_was_typed_and_saves_nothing(page, api):
    from playwright.sync_api import expect

    day = days_ahead(30)
    title = "Family resource fair"
    signed_in(page, api, SUPERVISOR)
    open_events(page)
    shown_before = event_rows(page).count()
    page.get_by_role("link", name="Add an event").click()

    # Ends at 5 pm, starts at 7 pm, the same day.
    page.get_by_label("Title in English").fill(title)
    page.get_by_label("Title in Spanish (optional)").fill("Feria de recursos")
    page.get_by_label("Day it starts").fill(day.isoformat())
    page.get_by_label("Start time").fill("19:00")
    page.get_by_label("End time").fill("17:00")
    page.get_by_label("Community area").select_option(label="Austin")
    page.get_by_label("Address").fill("5610 W Lake St")
    page.get_by_role("checkbox", name="Seniors", exact=True).check()
    page.get_by_role("checkbox", name="Polish", exact=True).check()
    page.get_by_role("button", name="Add event").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Not added: it ends before it starts: for an event past midnight, give the day it ends."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("New event")
    for label, value in (
        ("Title in English", title),
        ("Title in Spanish (optional)", "Feria de recursos"),
        ("Day it starts", day.isoformat()),
        ("Start time", "19:00"),
        ("End time", "17:00"),
        ("Community area", "25"),
        ("Address", "5610 W Lake St"),
    ):
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    for checkbox in ("Seniors", "English", "Polish"):
        expect(page.get_by_role("checkbox", name=checkbox, exact=True)).to_be_checked()
    expect(page.locator("fieldset input:checked")).to_have_count(3)
    violations = serious_violations(page)

    # The times right, but an address of spaces only (the browser's `required` lets it through).
    page.get_by_label("End time").fill("21:00")
    page.get_by_label("Address").fill("   ")
    page.get_by_role("button", name="Add event").click()
    expect(page.get_by_role("alert")).to_have_text("Not added: give the address (or the place's name and address).")
    expect(page.get_by_label("End time")).to_have_value("21:00")
    expect(page.get_by_label("Title in English")).to_have_value(title)
    violations += serious_violations(page)

    # Nothing was saved: the list has what it had.
    page.get_by_role("link", name="Back to the events").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Events and safe spaces")
    expect(event_rows(page)).to_have_count(shown_before)
    expect(page.get_by_role("link", name=title)).to_have_count(0)

    assert violations == []
    # Chromium reports the form's 422 answers as errors; nothing else may be one.
    assert [e for e in page.errors if "status of 422" not in e] == []


def test_an_event_is_changed_by_outreach_and_deleted_by_a_supervisor(browser, page, api):
    from playwright.sync_api import expect

    day, later = days_ahead(40), days_ahead(150)
    title, new_title = "Senior coffee hour", "Senior coffee and chess hour"
    signed_in(page, api, SUPERVISOR)
    event_url = add_by_fill(
        page, api, title_en=title, day=day, start="10:00", end="11:00", area="Rogers Park",
        address="6907 N Clark St", audiences=["Seniors"],
    )  # fmt: skip

    # An outreach worker, who did not add it, changes it; deleting it is not theirs to do.
    for outreach in recording_page(browser, viewport=DESKTOP, locale="en-US"):
        signed_in(outreach, api, OUTREACH)
        outreach.goto(event_url)
        expect(outreach.get_by_role("heading", level=1)).to_have_text(title)
        expect(outreach.get_by_role("button", name="Delete this event")).to_have_count(0)
        expect(outreach.get_by_text("A supervisor or the person who added this event can delete it.")).to_be_visible()
        outreach.get_by_label("Title in English").fill(new_title)
        outreach.get_by_label("Day it starts").fill(later.isoformat())
        # A one-day event's page leaves the day it ends empty, as the add form does: the start day alone moves it.
        expect(outreach.get_by_label("Day it ends (if not the same day)")).to_have_value("")
        outreach.get_by_label("Start time").fill("09:00")
        outreach.get_by_label("End time").fill("11:30")
        outreach.get_by_label("Community area").select_option(label="Uptown")
        outreach.get_by_label("Address").fill("4544 N Broadway")
        outreach.get_by_role("checkbox", name="Everyone", exact=True).check()
        outreach.get_by_role("button", name="Save changes").click()
        expect(outreach.get_by_role("status")).to_have_text("Event saved.")
        expect(outreach.get_by_role("heading", level=1)).to_have_text(new_title)
        expect(outreach.get_by_label("Day it starts")).to_have_value(later.isoformat())
        expect(outreach.get_by_label("Start time")).to_have_value("09:00")
        expect(outreach.get_by_label("End time")).to_have_value("11:30")
        expect(outreach.locator(".facts")).to_contain_text("Last changed")
        expect(outreach.locator(".facts")).to_contain_text(f"by {OUTREACH[1]}")
        # Saving it again as it is changes nothing.
        outreach.get_by_role("button", name="Save changes").click()
        expect(outreach.get_by_role("status")).to_have_text("Nothing changed.")
        assert outreach.errors == []

    # The supervisor sees the change in the list, then deletes the event from its page.
    open_events(page)
    row = row_of(page, new_title)
    expect(row.locator("td").nth(0)).to_have_text(f"{day_text(later)}, 9-11:30am")
    expect(row.locator("td").nth(2)).to_have_text("Uptown")
    expect(row.locator("td").nth(3)).to_have_text("Seniors, Everyone")
    expect(page.get_by_role("link", name=title, exact=True)).to_have_count(0)
    shown_before = event_rows(page).count()
    row.get_by_role("link", name=new_title).click()
    page.get_by_role("button", name="Delete this event").click()
    expect(page.get_by_role("status")).to_have_text("Event deleted.")
    expect(page).to_have_url(re.compile(r"/staff/events\?done=deleted$"))
    expect(event_rows(page)).to_have_count(shown_before - 1)
    expect(page.get_by_role("link", name=new_title)).to_have_count(0)
    page.goto(event_url)
    expect(page.get_by_role("alert")).to_have_text("No event with this number: it may have been deleted.")

    # Each step is on the audit log, by whom it was done.
    page.goto(f"{api.url}/staff/audit")
    entries = page.locator("table tbody tr")
    for action, who, text in (
        ("delete event", SUPERVISOR[1], new_title),
        ("change event", OUTREACH[1], new_title),
        ("add event", SUPERVISOR[1], title),
    ):
        expect(
            entries.filter(has=page.locator("td", has_text=re.compile(f"^{action}$"))).filter(has_text=text).first
        ).to_contain_text(who)
    assert [e for e in page.errors if "status of 404" not in e] == []


def test_moving_an_event_to_another_day_by_its_start_day_keeps_it_a_one_day_event(page, api):
    from playwright.sync_api import expect

    day, earlier = days_ahead(60), days_ahead(53)
    title = "Youth art workshop"
    signed_in(page, api, SUPERVISOR)
    add_by_fill(
        page, api, title_en=title, day=day, start="16:00", end="18:00", area="Lower West Side",
        address="1852 W 19th St", audiences=["Youth"],
    )  # fmt: skip
    page.get_by_label("Day it starts").fill(earlier.isoformat())
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Event saved.")
    open_events(page)
    # Read once the list is there (no waiting on a text that will not change).
    assert row_of(page, title).locator("td").nth(0).inner_text() == f"{day_text(earlier)}, 4-6pm"


# What a careless or hostile hand could put in a title or an address.
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_TITLE_ES = "'; DROP TABLE community_events;--"
HOSTILE_ADDRESS = '"><img src=x onerror=alert(2)> 123 N State St'


def test_markup_in_a_title_is_stored_verbatim_and_shown_as_text(page, api):
    from playwright.sync_api import expect

    signed_in(page, api, OUTREACH)
    add_by_fill(
        page, api, title_en=HOSTILE_TITLE, title_es=HOSTILE_TITLE_ES, day=days_ahead(12), start="13:00",
        end="15:00", area="Loop", address=HOSTILE_ADDRESS, audiences=["Adults"],
    )  # fmt: skip
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_TITLE)  # the characters, not a script
    expect(page).to_have_title(f"{HOSTILE_TITLE} · Navigator staff")
    expect(page.get_by_label("Title in English")).to_have_value(HOSTILE_TITLE)
    expect(page.get_by_label("Title in Spanish (optional)")).to_have_value(HOSTILE_TITLE_ES)
    expect(page.get_by_label("Address")).to_have_value(HOSTILE_ADDRESS)

    # The table is whole, and the list shows the title and the address as typed.
    open_events(page)
    row = row_of(page, HOSTILE_TITLE)
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text(HOSTILE_ADDRESS)
    assert page.locator("main script, main img").count() == 0
    assert page.dialogs == []  # none of it ran
    assert page.errors == []

"""The staff console in a real browser: Debian's chromium (headless) driven by Playwright against `python -m api`
run as a separate process, with staff made by the CLI and the first-admin settings and a referral posted by the
action server's route. A supervisor signs in, opens the referral from the queue, reads its safety flags, assigns it,
changes its status and adds a note, all by keyboard-operable controls, with axe-core checking each page. At the end
the api's log (at debug level) and the CLI's output are searched for the resident's number, name and the note.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.factories import PASSWORD, referral_request
from tests.browser.chromium import CHROMIUM, DESKTOP
from tests.browser.conftest import recording_page
from tests.conftest import ROOT
from tests.stack import ApiProcess, StackFailed, api_env

PHONE = "+13125550187"
# Every way the number could be written down somewhere.
PHONE_SPELLINGS = [
    PHONE,
    "13125550187",
    "3125550187",
    "(312) 555-0187",
    "312-555-0187",
    "312.555.0187",
    "5550187",
    "555-0187",
]
FIRST_NAME = "Zelmirabeth"
NOTE = "Texted about the Tuesday pantry; she answers after 7, quokka-417"
ADMIN = "first.admin@cscc.example"
SUPERVISOR = ("sam.supervisor@cscc.example", "Sam Supervisor")
OUTREACH = ("olga.outreach@cscc.example", "Olga Outreach")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium: run `make browser` (make test does)"
)


@dataclass
class Console:
    url: str
    log: Path
    code: str
    cli_output: str
    service_token: str


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Console:
    tmp = tmp_path_factory.mktemp("console")
    env = {
        **api_env(tmp, f"sqlite:///{tmp / 'navigator.db'}", secrets.token_urlsafe(24)),
        "NAVIGATOR_FIRST_ADMIN_EMAIL": ADMIN,
        "NAVIGATOR_FIRST_ADMIN_PASSWORD": PASSWORD,
        # The most the api ever writes down: nothing of a resident may be in it even then.
        "NAVIGATOR_API_LOG_LEVEL": "debug",
    }
    cli_output = []
    for (email, name), role in ((SUPERVISOR, "supervisor"), (OUTREACH, "outreach")):
        made = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "-m",
                "api.staff",
                "create",
                "--email",
                email,
                "--role",
                role,
                "--name",
                name,
                "--password-stdin",
            ],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **env},
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        cli_output.append(made.stdout + made.stderr)
    log = tmp / "api.log"
    try:
        with ApiProcess(env, log=log) as api:
            body = referral_request(
                channel="web",
                language="en",
                first_name=FIRST_NAME,
                contact=PHONE,
                contact_method="text",
                safe_to_text=True,
                safe_to_call=False,
                safe_times="after 6 pm",
                no_voicemail=True,
                needs=["food"],
                programs=["chi-041-greater-chicago-food-depository-find-food"],
                community_area="ENGLEWOOD",
            ).model_dump(mode="json")
            created = httpx.post(
                f"{api.url}/api/v1/referrals",
                json=body,
                headers={
                    "Authorization": f"Bearer {env['NAVIGATOR_SERVICE_TOKEN']}",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                timeout=30,
            )
            assert created.status_code == 201, created.text
            yield Console(api.url, log, created.json()["code"], "\n".join(cli_output), env["NAVIGATOR_SERVICE_TOKEN"])
    except StackFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture
def page(browser, console):
    """A fresh browser profile (no cookie), recording every request and every error."""
    yield from recording_page(browser, viewport=DESKTOP, locale="en-US")


def sign_in(page, console: Console, email: str) -> None:
    page.goto(f"{console.url}/staff")
    assert re.search(r"/staff/login$", page.url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_an_admin_manages_accounts_and_sees_no_referral(page, console):
    from playwright.sync_api import expect

    sign_in(page, console, ADMIN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    accounts = page.locator("table").first
    expect(accounts).to_contain_text(SUPERVISOR[0])
    expect(accounts).to_contain_text(OUTREACH[1])
    violations = serious_violations(page)
    page.goto(f"{console.url}/staff/referrals/{console.code}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    assert PHONE not in page.content() and FIRST_NAME not in page.content()
    violations += serious_violations(page)
    assert violations == []
    # Chromium reports the 403 page's status as an error; nothing else may be one.
    assert [e for e in page.errors if "status of 403" not in e] == []


def test_a_supervisor_works_a_referral_and_no_contact_detail_is_logged(page, console):
    from playwright.sync_api import expect

    # The first Tab stop of every page is the skip link, and it moves focus to the page's content.
    page.goto(f"{console.url}/staff/login")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_attribute("id", "main")

    sign_in(page, console, SUPERVISOR[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral queue")
    queue_row = page.get_by_role("row").filter(has=page.get_by_role("link", name=console.code))
    expect(queue_row).to_contain_text("Text only — after 6 pm")
    expect(queue_row).to_contain_text("Unassigned")
    assert PHONE not in page.content()  # the queue carries no contact
    violations = serious_violations(page)

    page.get_by_role("link", name=console.code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {console.code}")
    # Safety flags first, and big.
    expect(page.locator(".flags li")).to_have_text(["Text only — after 6 pm", "Do not call", "No voicemail"])
    size = page.locator(".flags li").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 24
    expect(page.locator(".contact")).to_have_text(PHONE)
    expect(page.get_by_text(FIRST_NAME)).to_be_visible()
    expect(page.locator(".programs")).to_contain_text("Greater Chicago Food Depository")
    violations += serious_violations(page)

    page.get_by_label("Assign to").select_option(label=f"{OUTREACH[1]} (outreach)")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text("Referral assigned.")
    page.get_by_role("button", name="Mark contacted").click()
    expect(page.get_by_role("status")).to_have_text("Status changed.")
    expect(page.locator(".facts")).to_contain_text("Contacted")

    # The note by keyboard only: type, Tab to the button, Enter.
    page.get_by_label("Add a note").focus()
    page.keyboard.type(NOTE)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Add note")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Note added.")
    expect(page.locator(".notes .text")).to_have_text([NOTE])
    expect(page.locator(".notes .meta")).to_contain_text(SUPERVISOR[1])
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(3)
    for row, change in ((1, "New → Assigned"), (2, "Assigned → Contacted")):
        expect(history.nth(row).locator("td").nth(1)).to_have_text(SUPERVISOR[1])
        expect(history.nth(row).locator("td").nth(2)).to_have_text(change)
    violations += serious_violations(page)

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs report")
    expect(page.locator("figure.chart svg[role=img]")).to_be_visible()
    expect(page.locator("table tbody tr").first).to_contain_text("<5")
    violations += serious_violations(page)

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table tbody")).to_contain_text("read contact")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{console.url}/staff")
    assert re.search(r"/staff/login$", page.url)

    assert violations == []
    assert page.errors == []
    # Everything came from the api itself: no CDN, no third party.
    assert all(url.startswith(f"{console.url}/") for url in page.requests), page.requests

    # Nothing of the resident, nor the note, was written to any log of the run.
    log = console.log.read_text()
    # Requests are logged (JSON lines, by route template: never a code or a conversation id in a path).
    requests = {
        (entry.get("method"), entry.get("path"), entry.get("status"))
        for entry in (json.loads(line) for line in log.splitlines() if line.startswith("{"))
    }
    assert {("GET", "/staff/referrals/{code}", 200), ("POST", "/staff/login", 303)} <= requests
    assert console.code not in log
    for secret in [*PHONE_SPELLINGS, FIRST_NAME, NOTE, "quokka"]:
        for name, text in (("api log", log), ("staff CLI", console.cli_output), ("browser", "\n".join(page.errors))):
            assert secret not in text, f"{secret!r} in the {name}"


# What an attacker could type into the chat as a name, safe times or a need, or a careless note could hold.
HOSTILE = {
    "first_name": '<img src=x onerror="window.__pwned=1">',
    "safe_times": '"><script>window.__pwned=2</script>',
    "need": "'; DROP TABLE referrals; --",
    "note": '<svg onload=window.__pwned=3> x" onmouseover="window.__pwned=4',
}


def test_hostile_text_is_stored_verbatim_and_shown_as_text(page, console):
    from playwright.sync_api import expect

    body = referral_request(
        first_name=HOSTILE["first_name"], safe_times=HOSTILE["safe_times"], needs=[HOSTILE["need"]]
    ).model_dump(mode="json")
    created = httpx.post(
        f"{console.url}/api/v1/referrals",
        json=body,
        headers={"Authorization": f"Bearer {console.service_token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    sign_in(page, console, SUPERVISOR[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral queue")
    page.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {code}")
    expect(page.get_by_text(HOSTILE["first_name"], exact=True)).to_be_visible()  # the characters, not an image
    expect(page.locator("main")).to_contain_text(HOSTILE["safe_times"])
    expect(page.locator("main")).to_contain_text(HOSTILE["need"])
    page.get_by_label("Add a note").fill(HOSTILE["note"])
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status")).to_have_text("Note added.")
    expect(page.locator(".notes .text")).to_have_text([HOSTILE["note"]])
    page.locator(".notes .text").hover()
    assert page.evaluate("() => window.__pwned") is None  # none of it ran
    assert page.locator("main img, main script, main svg[onload]").count() == 0
    assert page.errors == []
    # and the database is whole: the queue still lists every referral
    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.get_by_role("link", name=console.code)).to_be_visible()

"""The resident web chat in a real browser: Debian's chromium (headless) driven by Playwright, against the whole
stack as `make run` starts it (api serving the page, bot, actions), with axe-core checking accessibility.

`make test` installs chromium first (`make browser`); Playwright never downloads a browser here. Quick exit goes to a
local neutral page served by this module, so the test can tell it apart from the chat and from where it started.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.browser.chromium import CHROMIUM, DESKTOP, PHONE
from tests.conftest import ROOT

WAIT_MS = 90_000  # the bot's first answers, with a search, can take seconds on a busy machine

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium: run `make browser` (make test does)"
)


@pytest.fixture(scope="module")
def neutral(running) -> str:
    return running.neutral_url


@pytest.fixture(scope="module")
def navigator(running) -> str:
    return running.api_url


@pytest.fixture
def context(browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context, navigator, neutral):
    """The chat, opened from another page (so Back has somewhere to go), recording every request and error."""
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(f"{m.text} {m.location.get('url')}"))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{neutral}/start.html")
    page.requests.clear()
    page.goto(f"{navigator}/")
    page.locator("#message").wait_for()
    return page


def ask(page, text: str) -> None:
    """Type a message as a resident does and wait for the bot's answer to be on screen."""
    before = page.locator("#log .msg").count()
    page.get_by_label(re.compile("^(Your message|Su mensaje)$")).fill(text)
    page.keyboard.press("Enter")
    wait_for_answer(page, before + 1)


def wait_for_answer(page, shown_before: int) -> None:
    page.wait_for_function(
        """n => document.querySelectorAll('#log .msg').length > n
               && document.getElementById('log').getAttribute('aria-busy') === 'false'""",
        arg=shown_before,
        timeout=WAIT_MS,
    )


def bot_texts(page) -> list[str]:
    return page.locator("#log .msg.bot").all_inner_texts()


def test_food_search_shows_program_cards_with_call_links(page, navigator):
    ask(page, "I need food near 60623")
    cards = page.locator("#log .cards .card")
    assert cards.count() >= 1
    # Cards replace the SMS-style numbered list: no text bubble repeats it (its footer says "Reply 1-3 ...").
    assert not any("Reply 1-" in text for text in page.locator("#log .msg.bot:not(.programs)").all_inner_texts())
    calls = page.get_by_role("link", name=re.compile(r"^Call .+ at [\d-]{7,}$"))
    assert calls.count() >= 1
    first_call = calls.first
    assert re.fullmatch(r"tel:\+?\d{3,11}", first_call.get_attribute("href"))
    first_name = cards.first.locator("h3").inner_text()
    assert first_name.startswith("1. ")
    assert "km" in cards.first.inner_text()  # a ZIP was given: distances are shown
    assert re.search(r"Reply 1-\d for details", page.locator("#log .list-footer").last.inner_text())
    # The number the footer mentions works from the card's button too: details of program 1.
    before = page.locator("#log .msg").count()
    page.get_by_role("button", name=f"Details about {first_name[3:]}").click()
    wait_for_answer(page, before + 1)
    details = bot_texts(page)[-1]
    assert first_name[3:].split()[0] in details and not details.count("\n2. ")  # one program's details, not a list
    # Everything came from this site: no CDN, no third party; no script was blocked by the CSP.
    assert all(url.startswith(f"{navigator}/") for url in page.requests), page.requests
    assert page.errors == []


def test_screenshots_of_a_food_search_on_desktop_and_phone(page, tmp_path):
    ask(page, "I need food near 60623")
    page.locator("#log .cards .card").first.wait_for()
    # docs/ keeps the published pictures; they are rewritten only on request, so a test run leaves the tree clean.
    docs = ROOT / "docs" if os.environ.get("NAVIGATOR_UPDATE_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=str(docs / "webchat-desktop.png"))
    page.set_viewport_size(PHONE)
    page.locator("#log .cards").last.scroll_into_view_if_needed()
    page.screenshot(path=str(docs / "webchat-phone.png"))
    for name in ("webchat-desktop.png", "webchat-phone.png"):
        assert (docs / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (docs / name).stat().st_size > 10_000


def test_the_page_fits_a_small_phone(page):
    page.set_viewport_size(PHONE)
    ask(page, "I need food near 60623")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for locator in (page.get_by_role("button", name=re.compile("^Exit")), page.get_by_role("link", name="911")):
        box = locator.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Exit and the emergency numbers stay on screen while the conversation scrolls.
    page.mouse.wheel(0, 5000)
    assert page.get_by_role("button", name=re.compile("^Exit")).bounding_box()["y"] >= 0
    assert page.evaluate("document.querySelector('.emergency').getBoundingClientRect().top") >= 0
    assert page.get_by_role("link", name="1-877-863-6338").get_attribute("href") == "tel:+18778636338"


def test_switch_to_spanish(page):
    before = page.locator("#log .msg").count()
    page.get_by_role("button", name="Español").click()
    wait_for_answer(page, before)
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("button", name="Español").get_attribute("aria-pressed") == "true"
    assert "espanol" in bot_texts(page)[-1].lower()
    assert page.get_by_label("Su mensaje").is_visible()
    assert page.get_by_role("button", name=re.compile("^Salir")).is_visible()
    ask(page, "necesito comida cerca de 60623")
    programs = page.locator("#log .msg.programs").last
    assert programs.get_attribute("lang") == "es"
    assert page.get_by_role("link", name=re.compile(r"^Llamar .+ al [\d-]{7,}$")).count() >= 1
    assert "Responda" in programs.locator(".list-footer").inner_text()
    assert page.title() == "Navigator"


def test_escape_leaves_for_the_neutral_page_and_back_does_not_return(page, navigator, neutral):
    ask(page, "my landlord wont fix the heat")
    # The same keystroke, dispatched from inside the page, lets us look at the page just before it is replaced.
    left_behind = page.evaluate(
        """() => {
            document.getElementById('message').value = 'half-typed words';
            document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
            return [document.getElementById('log').children.length, document.getElementById('message').value];
        }"""
    )
    assert left_behind == [0, ""]
    page.wait_for_url(f"{neutral}/weather.html")
    assert page.title() == "Weather"
    page.go_back()
    page.wait_for_load_state()
    assert page.url == f"{neutral}/start.html"  # Back skips the chat: it was replaced, not left
    assert not page.url.startswith(navigator) and page.locator("#log").count() == 0


def test_the_real_escape_key_leaves_from_the_message_box(page, neutral):
    page.locator("#message").fill("something private")
    page.locator("#message").press("Escape")
    page.wait_for_url(f"{neutral}/weather.html")
    page.go_back()
    page.wait_for_load_state()
    assert page.url == f"{neutral}/start.html"


def test_exit_button_does_the_same(page, neutral):
    ask(page, "hi")
    exit_button = page.get_by_role("button", name=re.compile("^Exit"))
    assert exit_button.is_visible() and "Esc" in exit_button.get_attribute("aria-label")
    exit_button.click()
    page.wait_for_url(f"{neutral}/weather.html")
    page.go_back()
    page.wait_for_load_state()
    assert page.url == f"{neutral}/start.html"


def test_nothing_is_kept_in_the_browser(page, context, navigator):
    ask(page, "I need food near 60623")
    ask(page, "more")
    kept = page.evaluate(
        """async () => [localStorage.length, sessionStorage.length, document.cookie,
                        (await indexedDB.databases()).length, (await caches.keys()).length]"""
    )
    assert kept == [0, 0, "", 0, 0]
    assert context.cookies() == []
    assert page.title() == "Navigator" and page.url == f"{navigator}/"  # nothing in the title or the URL


def test_keyboard_alone_reaches_everything_in_order_and_shows_focus(page):
    reached = []
    for _ in range(9):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                """() => { const e = document.activeElement;
                           return [e.id || e.textContent.trim(), getComputedStyle(e).outlineStyle]; }"""
            )
        )
    names = [name for name, _ in reached]
    assert names == ["English", "Español", "exit", "911", "988", "1-877-863-6338", "log", "message", "send"]
    assert all(outline == "solid" for _, outline in reached)  # focus is visible on each
    page.locator("#message").focus()
    page.keyboard.type("I need food near 60623")
    before = page.locator("#log .msg").count()
    page.keyboard.press("Enter")
    wait_for_answer(page, before + 1)
    assert page.locator("#log .card").count() >= 1


@pytest.mark.parametrize(
    ("status", "words"),
    [(429, "wait a minute"), (503, "not available"), (None, "not available")],
)
def test_errors_are_shown_with_the_emergency_numbers(page, status, words):
    def answer(route) -> None:
        if status is None:
            route.abort()  # the api itself unreachable
        else:
            route.fulfill(status=status, content_type="application/json", body=json.dumps({"detail": "x"}))

    page.route("**/api/v1/chat", answer)
    before = page.locator("#log .msg").count()
    page.get_by_label("Your message").fill("hello")
    page.keyboard.press("Enter")
    wait_for_answer(page, before + 1)
    notice = page.locator("#log .msg.notice").last.inner_text()
    assert words in notice and "911" in notice and "988" in notice


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_or_critical_accessibility_violations(page, viewport):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size(viewport)
    ask(page, "I need food near 60623")
    page.locator("#log .card").first.wait_for()
    before = page.locator("#log .msg").count()
    page.get_by_role("button", name="Español").click()  # both languages on the page, as residents will have it
    wait_for_answer(page, before)
    results = Axe().run(page)
    violations = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    if violations:
        print(results.generate_report())
    assert violations == [], [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations]
    assert results.response["url"] == page.url and results.response["testEngine"]["name"] == "axe-core"

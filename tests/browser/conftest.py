"""One headless chromium for every browser test of the run; each test opens its own fresh context (no cookies)."""

from __future__ import annotations

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


WAIT_MS = 30_000


def recording_page(browser, **context_options):
    """A fresh context (no cookie) and page that records every request and every error (a CSP refusal is one)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    context = browser.new_context(**context_options)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(f"{m.text} {m.location.get('url')}"))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()

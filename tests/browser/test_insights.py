"""The Insights page in a real browser: Debian's chromium (headless, Playwright) against `python -m api` run as a
process (tests/browser/test_console.py's way), with a supervisor made by the CLI, referrals posted and searches made
with the action server's service token. The supervisor opens Insights, sees the map of the 77 community areas and its
table, filters by a need, downloads a CSV; axe-core finds nothing serious, nothing is fetched from elsewhere, and the
browser reports no error (no script, no style the page's policy would refuse).
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import subprocess
import uuid
from dataclasses import dataclass

import httpx
import pytest

from tests.api.factories import PASSWORD, referral_request
from tests.browser.chromium import CHROMIUM, DESKTOP
from tests.browser.conftest import recording_page
from tests.browser.test_console import serious_violations
from tests.conftest import ROOT
from tests.stack import ApiProcess, StackFailed, api_env

SUPERVISOR = ("ines.insights@cscc.example", "Ines Insights")
PHONE = "+13125550144"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium: run `make browser` (make test does)"
)


@dataclass
class Api:
    url: str


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("insights")
    env = api_env(tmp, f"sqlite:///{tmp / 'navigator.db'}", secrets.token_urlsafe(24))
    email, name = SUPERVISOR
    made = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "api.staff", "create", "--email", email, "--role", "supervisor",
         "--name", name, "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    service = {"Authorization": f"Bearer {env['NAVIGATOR_SERVICE_TOKEN']}"}
    try:
        with ApiProcess(env, log=tmp / "api.log") as process:
            # Referrals as the action server sends them: 6 for food in Englewood, 2 in West Englewood, 5 for housing.
            for needs, area, count in (
                (["food"], "ENGLEWOOD", 6),
                (["food"], "West Englewood", 2),
                (["housing"], "Austin", 5),
            ):
                for _ in range(count):
                    body = referral_request(needs=needs, community_area=area, contact=PHONE).model_dump(mode="json")
                    created = httpx.post(
                        f"{process.url}/api/v1/referrals",
                        json=body,
                        headers={**service, "Idempotency-Key": uuid.uuid4().hex},
                        timeout=30,
                    )
                    assert created.status_code == 201, created.text
            # Residents' searches through the bot: 6 found food, 2 found nothing good.
            for q, count in (("food pantry groceries", 6), ("zqxvbl wrtpfk comida", 2)):
                for _ in range(count):
                    params = {"q": q, "near": "Englewood", "category": "food"}
                    found = httpx.get(
                        f"{process.url}/api/v1/programs/search", params=params, headers=service, timeout=30
                    )
                    assert found.status_code == 200, found.text
            yield Api(process.url)
    except StackFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture
def page(browser, api):
    """A fresh browser profile (no cookie), recording every request and every error."""
    yield from recording_page(browser, viewport=DESKTOP, locale="en-US", accept_downloads=True)


def area_cells(page) -> dict[str, str]:
    rows = page.locator("#areas tbody tr")
    return {
        rows.nth(i).locator("th").inner_text().strip(): rows.nth(i).locator("td").inner_text().strip()
        for i in range(rows.count())
    }


def test_a_supervisor_reads_insights_on_the_map_filters_and_downloads(page, api):
    from playwright.sync_api import expect

    page.goto(f"{api.url}/staff")
    page.get_by_label("Email").fill(SUPERVISOR[0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral queue")
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")

    # The map: 77 areas, each with its tooltip; the same numbers in the table after it.
    map_svg = page.locator("figure.map svg[role=img]")
    expect(map_svg).to_be_visible()
    expect(map_svg.locator("path")).to_have_count(77)
    box = map_svg.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 350
    expect(map_svg.locator("path title", has_text="Englewood: 6 referrals")).to_have_count(1)
    expect(page.locator("#areas tbody tr")).to_have_count(79)
    cells = area_cells(page)
    assert cells["Englewood"] == "6" and cells["Austin"] == "5" and cells["West Englewood"] == "<5"
    assert cells["All areas"] == "13"
    expect(page.locator("figure.chart svg[role=img]")).to_be_visible()
    expect(page.get_by_text("a count under 5 shows as")).to_be_visible()
    violations = serious_violations(page)

    # One need.
    page.get_by_label("Need", exact=True).select_option(label="Food")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/staff/insights\?need=food"))
    expect(page.locator("#areas tbody tr").last).to_contain_text("8")
    cells = area_cells(page)
    assert cells["Englewood"] == "6" and cells["Austin"] == "<5" and cells["All areas"] == "8"
    searches = page.locator("#searches tbody tr").filter(has=page.locator("th", has_text=re.compile("^Englewood$")))
    # 8 searches, 2 found nothing good ("<5"): the 6 good ones would give the 2 back, so they are hidden.
    expect(searches.locator("td")).to_have_text(["8", "hidden", "<5"])
    violations += serious_violations(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the needs table (CSV)").click()
    saved = download.value
    assert re.fullmatch(
        r"navigator-insights-needs-food-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv", saved.suggested_filename
    )
    with open(saved.path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read())))
    assert {r["need"] for r in rows} == {"food"}
    whole = {r["community_area"]: r["referrals"] for r in rows if r["week"] == "all"}
    assert whole["Englewood"] == "6" and whole["West Englewood"] == "<5" and whole["All areas"] == "8"
    assert len(whole) == 79

    assert violations == []
    assert page.errors == []
    # Everything came from the api itself: no CDN, no third party.
    assert all(url.startswith(f"{api.url}/") for url in page.requests), page.requests

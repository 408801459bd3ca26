"""Hazard reports filed with 311 through Open311 GeoReport v2 (issue 8), against a local stand-in over HTTP, on SQLite
and PostgreSQL: the right service code and place, nothing personal unless asked, the city's number in the receipt,
an outage queued and filed once when the city returns, a lost answer not filed twice, the city's status read back.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, update

from api.core import security
from api.core.contact_seal import new_keypair
from api.core.open311 import Open311, Open311Refused, Open311Unavailable
from api.core.settings import Open311Settings
from api.crud.hazards import create_report
from api.db.migrate import downgrade, upgrade
from api.db.models import HazardReport
from api.db.session import make_engine, make_sessionmaker
from api.hazard_filing import file_queued
from api.routes import hazard_reports
from bot.channels.privacy import seal
from tests.api.factories import OLD_REFERRALS, old_referral
from tests.api.test_console import body_rows, signed_in
from tests.api.test_metrics import samples, value
from tests.open311_standin import SERVICES, Open311StandIn

API_KEY = "open311-key-" + uuid.uuid4().hex
SERVICE = "service-token-for-hazard-tests"
PRIVATE, PUBLIC = new_keypair()
CODES = {"street_light": SERVICES[0]["service_code"], "alley_light": SERVICES[1]["service_code"],
         "graffiti": SERVICES[2]["service_code"], "vacant_lot": SERVICES[3]["service_code"],
         "abandoned_building": SERVICES[4]["service_code"], "other_safety": SERVICES[5]["service_code"]}  # fmt: skip


@pytest.fixture
def city():
    with Open311StandIn(API_KEY) as standin:
        yield standin


@pytest.fixture
def configured(city, monkeypatch):
    """The api pointed at the stand-in, with the action server's token."""
    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", SERVICE)
    monkeypatch.setenv("NAVIGATOR_CONTACT_PRIVATE_KEY", PRIVATE)
    monkeypatch.setenv("NAVIGATOR_OPEN311_URL", city.url)
    monkeypatch.setenv("NAVIGATOR_OPEN311_API_KEY", API_KEY)
    monkeypatch.setenv("NAVIGATOR_OPEN311_SERVICE_CODES", json.dumps(CODES))
    monkeypatch.setenv("NAVIGATOR_OPEN311_TIMEOUT_S", "1")
    security.security_settings.cache_clear()
    hazard_reports.open311_settings.cache_clear()
    yield {"Authorization": f"Bearer {SERVICE}"}
    security.security_settings.cache_clear()
    hazard_reports.open311_settings.cache_clear()


@pytest.fixture
def sessions(database_settings):
    engine = make_engine(database_settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def body(**changes) -> dict:
    return {"channel": "sms", "language": "es", "conversation_id": "sms-" + uuid.uuid4().hex[:40],
            "hazard_type": "alley_light", "location": "  W 63rd St   and S Halsted St ",
            "community_area": "ENGLEWOOD", **changes}  # fmt: skip


def report(client, headers, key: str | None = None, payload: dict | None = None, **changes):
    return client.post("/api/v1/hazard-reports", json=payload or body(**changes),
                       headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})  # fmt: skip


def mine(city: Open311StandIn, code: str) -> list[dict]:
    return [r for r in city.received if f"[{code}]" in r["description"]]


def filer(database_settings, sessions, city: Open311StandIn, now: datetime | None = None):
    settings = Open311Settings(_env_file=None, url=city.url, api_key=API_KEY, service_codes=CODES, timeout_s=1)
    client = Open311(city.url, API_KEY, timeout_s=1)
    try:
        return file_queued(sessions, city=client, settings=settings,
                           contact_key=database_settings.referral_contact_key.get_secret_value(), now=now)  # fmt: skip
    finally:
        client.close()


# --- the Open311 client --------------------------------------------------------------------------------------------


def test_the_client_speaks_georeport_v2(city):
    client = Open311(city.url, API_KEY)
    assert [s["service_code"] for s in client.services()] == [s["service_code"] for s in SERVICES]
    request_id = client.file(service_code=CODES["graffiti"], description="Graffiti [HZ-TEST01]", address="1 N State St")
    found = client.status(request_id)
    assert (found.service_request_id, found.status) == (request_id, "open")
    assert [
        r.service_request_id
        for r in client.find(service_code=CODES["graffiti"], since=datetime.now(UTC) - timedelta(minutes=5))
    ] == [request_id]
    city.close(request_id, "Graffiti removed")
    assert (client.status(request_id).status, client.status(request_id).status_notes) == ("closed", "Graffiti removed")
    with pytest.raises(Open311Refused, match="Invalid api_key"):
        Open311(city.url, "wrong").file(service_code=CODES["graffiti"], description="x", address="1 N State St")
    city.down = True
    with pytest.raises(Open311Unavailable, match="503"):
        client.services()
    with pytest.raises(Open311Unavailable):
        Open311("http://127.0.0.1:9", API_KEY, timeout_s=1).services()
    client.close()


# --- filing through the api ---------------------------------------------------------------------------------------


def test_a_report_reaches_311_with_its_service_code_and_place_and_nothing_personal(client, city, configured):
    answer = report(client, configured, hazard_type="abandoned_building", conversation_id="sms-resident-1")
    assert answer.status_code == 201, answer.text
    got = answer.json()
    assert got["state"] == "filed" and got["service_request_id"].startswith("SR")
    [sent] = mine(city, got["code"])
    assert sent["service_code"] == CODES["abandoned_building"] and sent["api_key"] == API_KEY
    assert sent["address_string"] == "W 63rd St and S Halsted St"
    assert sent["description"].startswith("Vacant or abandoned building")
    # Anonymous: no number, name, email, device or the conversation.
    assert not {"phone", "email", "first_name", "last_name", "device_id", "account_id"} & set(sent)
    assert "sms-resident-1" not in str(sent)


def test_a_resident_who_asks_to_be_contacted_gives_311_their_number(client, city, configured):
    got = report(client, configured, sealed_contact=seal("+17735550199", PUBLIC)).json()
    [sent] = mine(city, got["code"])
    assert sent["phone"] == "+17735550199"


def test_a_photo_texted_goes_to_311_as_media_url(client, city, configured):
    photo = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    got = report(client, configured, media_url=photo).json()
    assert mine(city, got["code"])[0]["media_url"] == photo
    assert report(client, configured, media_url="http://example.org/x.jpg").status_code == 422


def test_a_retried_request_is_the_same_report_filed_once(client, city, configured):
    key, payload = uuid.uuid4().hex, body()
    first = report(client, configured, key=key, payload=payload)
    again = report(client, configured, key=key, payload=payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["code"] == first.json()["code"] and len(mine(city, first.json()["code"])) == 1
    assert report(client, configured, key=key, payload={**payload, "hazard_type": "graffiti"}).status_code == 409


def scrape(client) -> dict:
    return samples(client.get("/metrics", headers={"Authorization": f"Bearer {SERVICE}"}).text)


def test_an_outage_is_queued_and_filed_once_when_311_returns(client, city, configured, database_settings, sessions,
                                                             monkeypatch):  # fmt: skip
    monkeypatch.setenv("NAVIGATOR_METRICS_TOKEN", SERVICE)
    security.security_settings.cache_clear()
    before = scrape(client)
    city.down = True
    got = report(client, configured).json()
    assert (got["state"], got["service_request_id"]) == ("queued", None)
    # The operator sees the queue grow.
    queued = value(scrape(client), "navigator_hazard_reports", state="queued")
    assert queued == value(before, "navigator_hazard_reports", state="queued") + 1
    # A pass while the city is still down: queued again, and the next wait is longer.
    filer(database_settings, sessions, city, now=datetime.now(UTC) + timedelta(minutes=5))
    with sessions() as session:
        row = session.scalar(select(HazardReport).where(HazardReport.code == got["code"]))
        assert (row.state, row.attempts, row.last_error) == ("queued", 2, "HTTP 503")
        assert row.next_attempt_at is not None
    city.down = False
    filer(database_settings, sessions, city, now=datetime.now(UTC) + timedelta(hours=2))
    filer(database_settings, sessions, city, now=datetime.now(UTC) + timedelta(hours=3))
    [sent] = mine(city, got["code"])
    with sessions() as session:
        row = session.scalar(select(HazardReport).where(HazardReport.code == got["code"]))
        assert row.state == "filed" and city.requests[row.service_request_id]["description"] == sent["description"]
    assert value(scrape(client), "navigator_hazard_reports", state="queued") == queued - 1


def test_a_filing_whose_answer_was_lost_is_found_at_the_city_not_filed_again(client, city, configured,
                                                                              database_settings, sessions):  # fmt: skip
    city.slow_s = 2  # the city files it, but answers after the api stopped waiting (1 s)
    got = report(client, configured).json()
    city.slow_s = 0
    assert got["state"] == "queued" and len(mine(city, got["code"])) == 1
    filer(database_settings, sessions, city, now=datetime.now(UTC) + timedelta(minutes=5))
    [sent] = mine(city, got["code"])
    with sessions() as session:
        row = session.scalar(select(HazardReport).where(HazardReport.code == got["code"]))
        assert row.state == "filed"
        filed_id = row.service_request_id
    assert city.requests[filed_id]["description"] == sent["description"]


def test_without_open311_settings_reports_wait_in_the_queue(client, city, configured, monkeypatch):
    monkeypatch.setenv("NAVIGATOR_OPEN311_URL", "")
    hazard_reports.open311_settings.cache_clear()
    got = report(client, configured).json()
    assert got["state"] == "queued" and mine(city, got["code"]) == []


def test_the_resident_can_ask_for_the_status(client, city, configured, sessions):
    conversation = "sms-" + uuid.uuid4().hex[:40]
    got = report(client, configured, conversation_id=conversation).json()
    url = f"/api/v1/conversations/{conversation}/hazard-reports"
    [listed] = client.get(url, headers=configured).json()
    assert (listed["code"], listed["city_status"]) == (got["code"], "open")
    city.close(got["service_request_id"], "Light repaired")
    [listed] = client.get(url, headers=configured).json()
    assert listed["city_status"] == "open"  # asked a moment ago: not asked again yet
    with sessions() as session:
        session.execute(update(HazardReport).where(HazardReport.code == got["code"]).values(
            city_checked_at=datetime.now(UTC) - timedelta(minutes=10)))  # fmt: skip
        session.commit()
    [listed] = client.get(url, headers=configured).json()
    assert listed["city_status"] == "closed"
    assert client.get(url).status_code == 403 and client.get("/api/v1/conversations/other/hazard-reports",
                                                              headers=configured).json() == []  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [{"hazard_type": "pothole"}, {"location": "x"}, {"location": "y" * 201}, {"latitude": 40.7, "longitude": -74.0},
     {"phone": "+17735550100"}],
)  # fmt: skip
def test_bad_reports_are_refused_with_a_422(client, configured, changes):
    assert report(client, configured, **changes).status_code == 422


def test_the_migration_adds_hazard_reports_and_removes_them(empty_database):
    upgrade(empty_database, "0006")
    engine = make_engine(empty_database)
    with engine.begin() as connection:
        old_referral(connection, code="CSCC-AAAAAA")
    assert "hazard_reports" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(empty_database, "0007")
    engine = make_engine(empty_database)
    with make_sessionmaker(engine)() as session:
        fields = {"channel": "sms", "language": "es", "conversation_id": "sms-1", "hazard_type": "graffiti",
                  "location_text": "1 N State St"}  # fmt: skip
        made, created = create_report(session, idempotency_key="k" * 8, body_json="{}", **fields)
        assert created and made.state == "queued" and made.attempts == 0 and made.code.startswith("HZ-")
    engine.dispose()
    downgrade(empty_database, "0006")
    engine = make_engine(empty_database)
    assert "hazard_reports" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(select(OLD_REFERRALS.c.code)).scalar_one() == "CSCC-AAAAAA"
    engine.dispose()


# --- hotspots for supervisors ---------------------------------------------------------------------------------------


def test_supervisors_see_hazard_hotspots_by_area_with_small_counts_hidden(client, people, sessions):
    users, _ = people
    with sessions() as session:
        for kind, count in (("alley_light", 7), ("graffiti", 2)):
            for _ in range(count):
                create_report(session, idempotency_key=uuid.uuid4().hex, body_json=uuid.uuid4().hex, channel="sms",
                              language="en", conversation_id="sms-hotspot", hazard_type=kind,
                              location_text="13200 S Baltimore Ave", community_area="HEGEWISCH")  # fmt: skip
    supervisor = signed_in(client, users["supervisor"])
    page = supervisor.get("/staff/insights").text
    section = page.split('id="hazards-heading"')[1].split("</section>")[0]
    header = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', section)
    [row] = [r for r in body_rows(section) if r[0] == "Hegewisch"]
    cells = dict(zip(header[1:], map(html.unescape, row[1:]), strict=True))
    assert cells["Alley light out"] == "7" and cells["Graffiti to remove"] == "<5"  # 2 is a small count
    assert cells["Street light out"] == "<5"  # and so is 0: a hidden count says nothing about which
    assert len(body_rows(section)) == 78  # the 77 areas and "Not known"
    assert "Baltimore" not in page and "sms-hotspot" not in page  # counts only: the addresses stay with 311
    csv_text = supervisor.get("/staff/insights.csv", params={"table": "hazards"}).text
    assert csv_text.splitlines()[0].startswith("community_area,week,street_light,alley_light")
    assert any(line.startswith("Hegewisch,all,<5,7,<5") for line in csv_text.splitlines())
    assert signed_in(client, users["outreach"]).get("/staff/insights").status_code == 403

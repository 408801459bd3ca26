"""XSS and SQL-injection strings are data: the JSON api stores and returns them byte for byte, the database's tables
are intact afterwards, and the staff console shows them escaped (never as markup). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from markupsafe import escape
from sqlalchemy import func, inspect, select

from api.core import security
from api.crud import staff
from api.db.models import Referral
from api.db.session import make_engine, make_sessionmaker
from tests.api.factories import PASSWORD, new_user, referral_request, sign_in
from tests.api.test_console import browser as console_browser

SERVICE = "service-token-for-injection-tests"
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE referrals; --",
    "' OR '1'='1",
    "Robert'); DELETE FROM staff_users WHERE ('1'='1",
    "\u202egnp.exe\u202c <b>bold</b> & \\x00 %s {{7*7}}",
]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def actors(client, database_settings) -> Iterator[dict]:
    """The action server's headers, a supervisor's api headers and a browser signed in to the console as them."""
    engine = make_engine(database_settings.database_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        staff.dummy_hash.cache_clear()
        patch.setenv("NAVIGATOR_SERVICE_TOKEN", SERVICE)
        security.security_settings.cache_clear()
        with make_sessionmaker(engine)() as db:
            email = new_user(db, role="supervisor").email
        token = sign_in(client, email, PASSWORD).json()["access_token"]
        browser = console_browser(client)  # on the app's own event loop (tests/api/test_console.py)
        form = browser.get("/staff/login")
        signed = browser.post(
            "/staff/login", data={"email": email, "password": PASSWORD, "csrf": CSRF.search(form.text).group(1)}
        )
        assert signed.status_code == 303, signed.text
        yield {
            "service": {"Authorization": f"Bearer {SERVICE}"},
            "supervisor": {"Authorization": f"Bearer {token}"},
            "browser": browser,
            "engine": engine,
        }
    security.security_settings.cache_clear()
    staff.dummy_hash.cache_clear()
    engine.dispose()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_search_query_is_answered_verbatim(client, payload):
    answer = client.get("/api/v1/programs/search", params={"q": payload})
    assert answer.status_code == 200, answer.text
    assert answer.json()["query"] == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_referral_fields_and_notes_are_stored_verbatim_and_shown_escaped(client, actors, payload):
    engine = actors["engine"]
    tables_before = set(inspect(engine).get_table_names())
    body = referral_request(first_name=payload[:64], safe_times=payload, needs=[payload]).model_dump(mode="json")
    created = client.post(
        "/api/v1/referrals", json=body, headers={**actors["service"], "Idempotency-Key": uuid.uuid4().hex}
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    note = client.post(f"/api/v1/referrals/{code}/notes", json={"text": payload}, headers=actors["supervisor"])
    assert note.status_code == 201, note.text
    assert note.json()["text"] == payload

    # The JSON api gives back exactly what was sent.
    detail = client.get(f"/api/v1/referrals/{code}", headers=actors["supervisor"]).json()
    assert detail["first_name"] == payload[:64]
    assert detail["safe_times"] == payload
    assert detail["needs"] == [payload]
    assert [n["text"] for n in detail["notes"]] == [payload]

    # Nothing was executed: every table is still there, the referral is one row among the others.
    assert set(inspect(engine).get_table_names()) == tables_before
    with make_sessionmaker(engine)() as db:
        assert db.scalar(select(func.count()).select_from(Referral).where(Referral.code == code)) == 1
        assert db.scalar(select(Referral.first_name).where(Referral.code == code)) == payload[:64]

    # The console shows the text escaped: no markup from the resident or a colleague reaches the page.
    page = actors["browser"].get(f"/staff/referrals/{code}")
    assert page.status_code == 200, page.text[:300]
    for raw in ("<script>alert(1)</script>", "<img src=x", "<b>bold</b>"):
        assert raw not in page.text
    assert str(escape(payload)) in page.text

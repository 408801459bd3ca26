"""Catalog freshness (issue 7): the api says when each program's facts were verified, and the staff console's catalog
pages (/staff/catalog) mark stale programs and let staff flag a program as out of date, on SQLite and PostgreSQL.

Each "browser" is its own TestClient with its own cookie jar (tests/api/test_console.py's helpers). The database is
the session's, shared by the tests of one backend, so each test flags a program of its own.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from api.core.settings import CatalogSettings
from api.crud.program_flags import MAX_REASON, flag_program, flags_of
from api.crud.referrals import audit_entries
from api.crud.staff import create_staff
from api.db.migrate import alembic_config, downgrade, upgrade
from api.db.models import ProgramFlag
from api.db.session import make_engine, make_sessionmaker
from api.routes import console_catalog
from api.routes.chat import reshape
from tests.api.factories import OLD_REFERRALS, PASSWORD, old_referral
from tests.api.test_console import body_rows, browser, csrf_of, post_form, signed_in

STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
CATALOG = "/staff/catalog"


def program_ids(client) -> list[str]:
    return sorted(client.app.state.searcher.programs)


def catalog_row(page: str, program_id: str) -> list[str]:
    """The catalog table's row of one program: program (name and id), categories, verified, days, freshness, flags."""
    [row] = [r for r in body_rows(page) if r[0].endswith(program_id)]
    return row


@pytest.fixture
def stale_days(monkeypatch):
    """Set NAVIGATOR_CATALOG_STALE_DAYS for the app (the setting is read once and cached, like the api's others)."""

    def set_days(days: int) -> None:
        monkeypatch.setenv("NAVIGATOR_CATALOG_STALE_DAYS", str(days))
        console_catalog.catalog_settings.cache_clear()

    console_catalog.catalog_settings.cache_clear()
    yield set_days
    console_catalog.catalog_settings.cache_clear()


# --- what residents see ----------------------------------------------------------------------------------------


def test_program_output_says_when_its_facts_were_verified(client):
    catalog = client.app.state.searcher.programs
    pid = program_ids(client)[0]
    one = client.get(f"/api/v1/programs/{pid}", params={"lang": "es"}).json()
    expected = catalog[pid].verification.verified_on.isoformat()
    assert one["verified_on"] == expected == one["verification"]["verified_on"]
    page = client.get("/api/v1/programs", params={"limit": 100}).json()["results"]
    assert page and all(r["verified_on"] == catalog[r["id"]].verification.verified_on.isoformat() for r in page)
    found = client.get("/api/v1/programs/search", params={"q": "food pantry", "limit": 3}).json()["results"]
    assert found and all(r["verified_on"] == catalog[r["id"]].verification.verified_on.isoformat() for r in found)


def test_the_web_chat_keeps_the_cards_facts_checked_line():
    """actions/formatting.py writes the line (tests/rasa/test_actions.py); the api must pass it on to the page."""
    card = {"number": 1, "id": "chi-001-x", "name": "X", "facts_checked": "Datos verificados: noviembre de 2026"}
    [out] = reshape([{"custom": {"kind": "programs", "lang": "es", "programs": [card]}}])
    assert out.programs[0].facts_checked == "Datos verificados: noviembre de 2026"
    assert (
        reshape([{"custom": {"kind": "programs", "programs": [{**card, "facts_checked": None}]}}])[0]
        .programs[0]
        .facts_checked
        is None
    )
    # The page draws it as text (el(): textContent, never markup).
    assert 'el("p", { class: "summary checked" }, [program.facts_checked])' in (STATIC / "chat.js").read_text()


# --- the catalog page ------------------------------------------------------------------------------------------


def test_catalog_pages_by_role(client, people):
    users, _ = people
    pid = program_ids(client)[0]
    browsers = {"anonymous": browser(client)} | {
        name: signed_in(client, users[name]) for name in ("outreach", "supervisor", "admin")
    }
    pages = [CATALOG, f"{CATALOG}/{pid}", f"{CATALOG}/chi-999-no-such-program"]
    expected = {  # anonymous, outreach, supervisor, admin
        CATALOG: (303, 200, 200, 403),
        f"{CATALOG}/{pid}": (303, 200, 200, 403),
        f"{CATALOG}/chi-999-no-such-program": (303, 404, 404, 403),
    }
    got = {page: tuple(b.get(page).status_code for b in browsers.values()) for page in pages}
    assert got == expected
    assert browsers["anonymous"].get(CATALOG).headers["location"] == "/staff/login?next=%2Fstaff%2Fcatalog"
    missing = browsers["outreach"].get(f"{CATALOG}/chi-999-no-such-program")
    assert "No program with this id in the catalog." in missing.text and missing.headers["content-type"].startswith(
        "text/html"
    )
    refused = browsers["admin"].get(CATALOG)
    assert "This needs the role outreach or supervisor." in refused.text
    # The console's headers, and the page in the navigation of those who may open it.
    page = browsers["outreach"].get(CATALOG)
    assert (
        page.headers["cache-control"] == "no-store" and "form-action 'self'" in page.headers["content-security-policy"]
    )
    assert '<a href="/staff/catalog" aria-current="page">Catalog</a>' in page.text
    assert 'href="/staff/catalog"' in browsers["supervisor"].get("/staff").text
    assert 'href="/staff/catalog"' not in browsers["admin"].get("/staff/accounts").text
    # Every program is listed, with its name, id and categories.
    rows = body_rows(page.text)
    assert len(rows) == len(program_ids(client))
    program = client.app.state.searcher.programs[pid]
    row = catalog_row(page.text, pid)
    assert html.unescape(row[0]) == program.name.en + pid
    assert row[2] == program.verification.verified_on.strftime("%b %-d, %Y")


def test_stale_programs_are_marked_in_words(client, people, stale_days, monkeypatch):
    users, _ = people
    catalog = client.app.state.searcher.programs
    old, recent = program_ids(client)[1:3]
    today = console_catalog.today()

    def verified(pid: str, days_ago: int) -> None:
        program = catalog[pid]
        when = program.verification.model_copy(update={"verified_on": today - dt.timedelta(days=days_ago)})
        monkeypatch.setitem(catalog, pid, program.model_copy(update={"verification": when}))

    verified(old, 11)
    verified(recent, 10)
    b = signed_in(client, users["outreach"])
    # Default: 180 days. Neither is stale.
    page = b.get(CATALOG).text
    assert "more than 180 days" in page
    assert catalog_row(page, old)[3:5] == ["11", "Current"] and catalog_row(page, recent)[3:5] == ["10", "Current"]
    # 10 days: more than 10 is stale, exactly 10 is not yet (as `python -m knowledge stale --days 10`).
    stale_days(10)
    page = b.get(CATALOG).text
    assert "more than 10 days" in page
    assert catalog_row(page, old)[3:5] == ["11", "Stale"] and catalog_row(page, recent)[3:5] == ["10", "Current"]
    assert '<span class="stale">Stale</span>' in page  # a word, with a colour on top
    order = [row[0] for row in body_rows(page)]
    assert order.index(catalog_row(page, old)[0]) < order.index(catalog_row(page, recent)[0])  # oldest first
    stale_count = int(re.search(r'show=stale"[^>]*><span class="count">(\d+)</span>', page).group(1))
    only_stale = b.get(CATALOG, params={"show": "stale"}).text
    ids = [row[0] for row in body_rows(only_stale)]
    assert any(i.endswith(old) for i in ids) and not any(i.endswith(recent) for i in ids)
    assert len(ids) == stale_count
    assert "Stale</span>: verified more than 10 days ago" in b.get(f"{CATALOG}/{old}").text
    assert "Current (within 10 days)" in b.get(f"{CATALOG}/{recent}").text
    assert b.get(CATALOG, params={"show": "everything"}).status_code == 422


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("NAVIGATOR_CATALOG_STALE_DAYS", "30")
    assert CatalogSettings().catalog_stale_days == 30
    monkeypatch.delenv("NAVIGATOR_CATALOG_STALE_DAYS")
    assert CatalogSettings(_env_file=None).catalog_stale_days == 180
    monkeypatch.setenv("NAVIGATOR_CATALOG_STALE_DAYS", "-1")
    with pytest.raises(ValueError):
        CatalogSettings()


# --- flags -----------------------------------------------------------------------------------------------------


def test_outreach_flags_a_program_and_only_a_supervisor_resolves_it(client, people, db):
    users, _ = people
    pid = program_ids(client)[3]
    url = f"{CATALOG}/{pid}"
    outreach, supervisor, admin = (signed_in(client, users[n]) for n in ("outreach", "supervisor", "admin"))
    anonymous = browser(client)
    reason = 'Number disconnected <script>alert("x")</script>'

    # Anonymous: off to sign in; an admin: refused, with a token of their own pages; nothing is written.
    answer = anonymous.post(f"{url}/flags", data={"reason": reason})
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/login"
    assert post_form(admin, "/staff/accounts", f"{url}/flags", reason=reason).status_code == 403
    assert flags_of(db, program_id=pid) == []

    flagged = post_form(outreach, url, f"{url}/flags", reason=f"  {reason}  ")
    assert flagged.status_code == 303 and flagged.headers["location"] == f"{url}?done=flagged"
    page = outreach.get(flagged.headers["location"]).text
    assert "Flag added" in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and "<script" not in page
    assert f"Flagged by {users['outreach'].display_name}" in page
    assert "/resolve" not in page  # an outreach worker has no Resolve button
    assert catalog_row(outreach.get(CATALOG).text, pid)[5] == "1 open"
    assert any(row[0].endswith(pid) for row in body_rows(outreach.get(CATALOG, params={"show": "flagged"}).text))

    db.expire_all()
    [flag] = flags_of(db, program_id=pid)
    assert (flag.reason, flag.flagged_by, flag.resolved_at, flag.resolved_by) == (
        reason,
        users["outreach"].id,
        None,
        None,
    )
    resolve = f"{url}/flags/{flag.id}/resolve"
    assert post_form(outreach, url, resolve).status_code == 403
    assert post_form(admin, "/staff/accounts", resolve).status_code == 403
    assert anonymous.post(resolve).headers["location"] == "/staff/login"
    assert post_form(supervisor, url, f"{CATALOG}/{program_ids(client)[4]}/flags/{flag.id}/resolve").status_code == 404
    assert post_form(supervisor, url, f"{url}/flags/999999999/resolve").status_code == 404
    db.expire_all()
    assert flags_of(db, program_id=pid)[0].resolved_at is None

    page = supervisor.get(url).text
    assert f'action="{resolve}"' in page
    done = post_form(supervisor, url, resolve)
    assert done.status_code == 303 and done.headers["location"] == f"{url}?done=resolved"
    page = supervisor.get(done.headers["location"]).text
    assert "Flag resolved." in page and "No open flags." in page and 'id="resolved"' in page
    assert catalog_row(supervisor.get(CATALOG).text, pid)[5] == "None"
    again = post_form(supervisor, url, resolve)
    assert again.status_code == 409 and "Not changed: this flag was already resolved." in again.text

    db.expire_all()
    [flag] = flags_of(db, program_id=pid)
    assert flag.resolved_by == users["supervisor"].id and flag.resolved_at is not None

    # On the audit log, once each, by whom, with the program and flag but not the reason's words.
    entries = [e for e in audit_entries(db, limit=1000) if e.detail == f"{pid} flag {flag.id}"]
    assert sorted((e.action, e.actor, e.referral_code) for e in entries) == [
        ("flag_program", f"staff:{users['outreach'].id}", None),
        ("resolve_program_flag", f"staff:{users['supervisor'].id}", None),
    ]
    assert not any("disconnected" in e.detail for e in audit_entries(db, limit=1000))
    log = supervisor.get("/staff/audit").text
    assert "flag program" in log and "resolve program flag" in log


def test_flag_forms_need_the_pages_token(client, people, db):
    users, _ = people
    pid = program_ids(client)[5]
    url = f"{CATALOG}/{pid}"
    supervisor, other = signed_in(client, users["supervisor"]), signed_in(client, users["outreach"])
    flag = flag_program(db, program_id=pid, reason="Closed on Saturdays now", flagged_by=users["outreach"].id)
    db.commit()
    someone_elses = csrf_of(other.get(url))
    for data in ({}, {"csrf": "0" * 64}, {"csrf": someone_elses}):
        answer = supervisor.post(f"{url}/flags", data={"reason": "forged", **data})
        assert answer.status_code == 403 and "did not come from a console page" in answer.text
        assert supervisor.post(f"{url}/flags/{flag.id}/resolve", data=data).status_code == 403
    db.expire_all()
    assert [(f.reason, f.resolved_at) for f in flags_of(db, program_id=pid)] == [("Closed on Saturdays now", None)]


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("", "Not flagged: say what looks out of date."),
        ("   \n  ", "Not flagged: say what looks out of date."),
        ("x" * (MAX_REASON + 1), f"Not flagged: the reason is {MAX_REASON + 1} characters long; keep it to 500."),
        ("y" * 20_000, f"Not flagged: the reason is 20000 characters long; keep it to {MAX_REASON}."),
    ],
)
def test_an_empty_or_too_long_reason_shows_the_form_again(client, people, db, reason, words):
    users, _ = people
    pid = program_ids(client)[6]
    url = f"{CATALOG}/{pid}"
    b = signed_in(client, users["outreach"])
    before = len(flags_of(db, program_id=pid))
    answer = post_form(b, url, f"{url}/flags", reason=reason)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert f'<div class="alert error" role="alert"><p>{words}</p></div>' in answer.text
    assert "Traceback" not in answer.text and 'name="reason"' in answer.text
    if reason.strip():
        assert f">{reason}</textarea>" in answer.text  # kept, to be shortened
    db.expire_all()
    assert len(flags_of(db, program_id=pid)) == before
    assert not [e for e in audit_entries(db, limit=1000) if e.action == "flag_program" and e.detail.startswith(pid)]


def test_a_reason_of_exactly_the_limit_is_kept_whole(client, people, db):
    users, _ = people
    pid = program_ids(client)[7]
    url = f"{CATALOG}/{pid}"
    reason = "é" * MAX_REASON  # characters, not bytes: PostgreSQL's varchar(500) counts the same way
    assert post_form(signed_in(client, users["supervisor"]), url, f"{url}/flags", reason=reason).status_code == 303
    db.expire_all()
    assert [f.reason for f in flags_of(db, program_id=pid)] == [reason]


# --- the migration ---------------------------------------------------------------------------------------------


def test_the_revision_chain_is_one_line():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == ["0008"]
    assert [(r.revision, r.down_revision) for r in script.walk_revisions()] == [
        ("0008", "0007"),
        ("0007", "0006"),
        ("0006", "0005"),
        ("0005", "0004"),
        ("0004", "0003"),
        ("0003", "0002"),
        ("0002", "0001"),
        ("0001", None),
    ]


def test_the_migration_adds_program_flags_to_an_existing_database(empty_database):
    url = empty_database
    upgrade(url, "0003")  # a database in use before this change, with staff and a referral
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        person = create_staff(
            session, email="rosa@cscc.example", display_name="Rosa", role="outreach", password=PASSWORD
        )
        person_id, code = person.id, old_referral(session, code="CSCC-AAAAAA")
        session.commit()
    assert "program_flags" not in inspect(engine).get_table_names()
    engine.dispose()

    upgrade(url, "0004")
    engine = make_engine(url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0004"
    tables = inspect(engine)
    assert "program_flags" in tables.get_table_names()
    assert {c["name"] for c in tables.get_columns("program_flags")} == {
        "id", "program_id", "reason", "flagged_by", "created_at", "resolved_at", "resolved_by",
    }  # fmt: skip
    assert {
        (tuple(fk["constrained_columns"]), fk["referred_table"]) for fk in tables.get_foreign_keys("program_flags")
    } == {
        (("flagged_by",), "staff_users"),
        (("resolved_by",), "staff_users"),
    }
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        assert session.execute(select(OLD_REFERRALS.c.code)).scalar_one() == code  # what was there is still there
        flag = flag_program(session, program_id="chi-001-x", reason="Moved", flagged_by=person_id)
        session.commit()
        created = session.scalar(select(ProgramFlag.created_at).where(ProgramFlag.id == flag.id))
        assert created is not None and flag.resolved_at is None
    with sessions() as session, pytest.raises(IntegrityError):  # flagged_by must be a staff account
        flag_program(session, program_id="chi-001-x", reason="Moved", flagged_by=person_id + 1000)
        session.commit()
    engine.dispose()

    downgrade(url, "0003")
    engine = make_engine(url)
    assert "program_flags" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from referrals")).scalar_one() == 1
    engine.dispose()

"""The Insights page for supervisors (/staff/insights) and the search outcomes behind it, on SQLite and PostgreSQL.

The database is the session's, shared by every test of a backend; other suites make referrals in the current week.
So each test here puts its referrals and searches in a week of its own, some weeks back (created_at, events and
searched_on set directly), in community areas no other suite uses, and reads only those cells.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import OperationalError

from api.core import search_record
from api.core.choropleth import HEIGHT, WIDTH, area_shapes
from api.core.suppression import ALL, HIDDEN, Axis, Cube, protected_cube
from api.crud.insights import OUTCOME_ORDER, build_insights, last_weeks
from api.crud.referrals import OUTCOMES, get_referral
from api.crud.search_outcomes import add_search_outcome
from api.db.migrate import downgrade, upgrade
from api.db.models import Referral, ReferralEvent, SearchOutcome
from api.db.session import make_engine
from knowledge.catalog import load_taxonomy
from knowledge.geo import community_areas
from tests.api.factories import new_referral
from tests.api.test_console import browser, signed_in
from tests.conftest import ROOT

PAGE = "/staff/insights"
CSV = "/staff/insights.csv"
SEARCH = "/api/v1/programs/search"
SMALL_MARKS = {"<5", HIDDEN}


# --- helpers ----------------------------------------------------------------------------------------------------


def week_back(n: int):
    """The ISO week n weeks before this one: (its key, a Wednesday 15:00 UTC in it)."""
    week = last_weeks(datetime.now(UTC).date())[-1 - n]
    return week.key, datetime.combine(week.monday + timedelta(days=2), time(15), tzinfo=UTC)


def made(client, headers, db, at: datetime, count: int, **changes) -> list[str]:
    """count referrals (through the api, as the action server makes them), then moved to `at`."""
    codes = [new_referral(client, headers, **changes) for _ in range(count)]
    for code in codes:
        referral = get_referral(db, code=code)
        db.execute(update(Referral).where(Referral.id == referral.id).values(created_at=at))
        db.execute(update(ReferralEvent).where(ReferralEvent.referral_id == referral.id).values(at=at))
    db.commit()
    return codes


def rows_of(page: str, table_id: str) -> dict[str, list[str]]:
    """A table's body rows by their header cell: {row header: [the other cells' text]}."""
    table = re.search(rf'<table id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert table, f"no table {table_id}"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def week_row(rows: dict[str, list[str]], key: str) -> list[str]:
    """The row of an ISO week ("2026-W41 (Oct 5)")."""
    [row] = [cells for header, cells in rows.items() if header.startswith(f"{key} (")]
    return row


def map_titles(page: str) -> dict[str, str]:
    """Each area path's tooltip, by area name."""
    found = re.findall(r'<path class="b\d" d="[^"]+"><title>([^<]+)</title></path>', page)
    return dict(html.unescape(t).split(": ", 1) for t in found)


def no_lone_hidden(lines: list[list[str]]) -> None:
    """The rule: in every line (its cells and its total) none or at least two numbers are hidden."""
    for line in lines:
        assert sum(1 for v in line if v in SMALL_MARKS) != 1, line


def table_lines(rows: dict[str, list[str]]) -> list[list[str]]:
    """A table whose last column is each row's total and whose last row is each column's total: its lines."""
    values = list(rows.values())
    return values + [list(column) for column in zip(*values, strict=True)]


def csv_of(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


@pytest.fixture
def supervisor(client, people):
    users, _ = people
    return signed_in(client, users["supervisor"])


# --- who may see it ---------------------------------------------------------------------------------------------


def test_only_supervisors_see_insights(client, people):
    users, _ = people
    anonymous = browser(client)
    for url in (PAGE, f"{CSV}?table=needs"):
        answer = anonymous.get(url)
        assert answer.status_code == 303 and answer.headers["location"].startswith(
            "/staff/login?next=%2Fstaff%2Finsights"
        )
    for role in ("outreach", "admin"):
        b = signed_in(client, users[role])
        for url in (PAGE, f"{CSV}?table=searches"):
            answer = b.get(url)
            assert answer.status_code == 403 and "This needs the role supervisor." in answer.text
            assert "text/html" in answer.headers["content-type"]  # a page, never the figures
        assert 'href="/staff/insights"' not in b.get("/staff/reports").text  # and no link to it
    page = signed_in(client, users["supervisor"]).get(PAGE)
    assert page.status_code == 200 and "<h1>Insights</h1>" in page.text
    assert '<a href="/staff/insights" aria-current="page">Insights</a>' in page.text
    assert (
        page.headers["cache-control"] == "no-store" and "default-src 'self'" in page.headers["content-security-policy"]
    )
    assert "<script" not in page.text and "style=" not in page.text  # nothing the policy would refuse


def test_every_view_and_table_opens_and_unknown_filters_are_refused(supervisor):
    week = last_weeks(datetime.now(UTC).date())[0].key
    for params in ({}, {"need": "other"}, {"need": "food", "week": week}):
        assert supervisor.get(PAGE, params=params).status_code == 200
        for table in ("needs", "searches", "outcomes", "contact"):
            answer = supervisor.get(CSV, params={**params, "table": table})
            assert csv_of(answer) and answer.headers["cache-control"] == "no-store"
    assert supervisor.get(PAGE, params={"need": "bogus"}).status_code == 422
    assert supervisor.get(PAGE, params={"week": "1999-W01"}).status_code == 422
    assert supervisor.get(CSV, params={"table": "contacts; drop"}).status_code == 422


# --- needs by area and week -------------------------------------------------------------------------------------


def test_needs_by_community_area_and_week_on_known_data(client, people, db, supervisor):
    _, headers = people
    key, at = week_back(6)
    edison = made(client, headers, db, at, 7, needs=["reentry"], community_area="EDISON PARK")
    made(client, headers, db, at, 3, needs=["reentry"], community_area="Forest Glen")
    made(client, headers, db, at, 5, needs=["reentry", "employment"], community_area="Norwood Park")
    for code in edison[:5]:  # five are over: closed, served
        db.execute(update(Referral).where(Referral.code == code).values(status="closed", outcome="served"))
    db.commit()

    data = build_insights(db, today=datetime.now(UTC).date(), categories=load_taxonomy().categories)
    cell = {"week": key, "status": ALL, "outcome": ALL}
    assert data.referrals.value(need="reentry", area="Edison Park", **cell) == 7  # "EDISON PARK" is Edison Park
    assert data.referrals.value(need="reentry", area=ALL, **cell) == 15
    assert data.referrals.value(need=ALL, area="Norwood Park", **cell) == 5  # referrals: each once
    assert data.referrals.value(need="employment", area="Norwood Park", **cell) == 5

    page = supervisor.get(PAGE, params={"need": "reentry", "week": key})
    assert page.status_code == 200
    areas = rows_of(page.text, "areas")
    assert len(areas) == 77 + 2  # every area, "Not known", "All areas"
    assert areas["Edison Park"] == ["7"] and areas["Norwood Park"] == ["5"] and areas["Forest Glen"] == ["<5"]
    assert areas["All areas"] == ["15"] and areas["Not known"] == ["<5"]
    no_lone_hidden([[v[0] for v in areas.values()]])
    titles = map_titles(page.text)
    assert len(titles) == 77 and set(titles) == {a.name for a in community_areas().values()}
    assert titles["Edison Park"] == "7 referrals" and titles["Forest Glen"] == "<5 referrals"
    assert titles["Rogers Park"] == "<5 referrals"
    # The week's bar says 15, and the week is the one in bold.
    assert re.search(rf'class="label chosen">{key} \([A-Z][a-z]{{2}} \d+\)</text>', page.text)
    assert f"{key} (" in page.text and ">15</text>" in page.text
    # Statuses and outcomes of that week: 10 new, 5 closed (served).
    statuses = rows_of(page.text, "statuses")
    assert week_row(statuses, key) == ["10", "<5", "<5", "<5", "<5", "<5", "5", "15"]
    outcomes = rows_of(page.text, "outcomes")
    assert week_row(outcomes, key) == ["5", "<5", "<5", "<5", "<5", "10", "15"]
    no_lone_hidden(table_lines(statuses) + table_lines(outcomes))

    every_need = rows_of(supervisor.get(PAGE, params={"week": key}).text, "areas")
    assert every_need["Norwood Park"] == ["5"] and every_need["Edison Park"] == ["7"]

    answer = supervisor.get(CSV, params={"table": "needs", "need": "reentry", "week": key})
    table = csv_of(answer)
    week = next(w for w in data.weeks if w.key == key)
    assert (
        f'filename="navigator-insights-needs-reentry-{week.monday}-to-{week.sunday}.csv"'
        in (answer.headers["content-disposition"])
    )
    by_area = {r["community_area"]: r["referrals"] for r in table}
    assert {r["need"] for r in table} == {"reentry"} and {r["week"] for r in table} == {key}
    assert by_area["Edison Park"] == "7" and by_area["Forest Glen"] == "<5" and by_area["All areas"] == "15"
    # Every week of the period and the whole period, when no week is chosen.
    whole = csv_of(supervisor.get(CSV, params={"table": "needs", "need": "reentry"}))
    assert len(whole) == 79 * 13
    assert {(r["week"], r["referrals"]) for r in whole if r["community_area"] == "Edison Park"} >= {
        (key, "7"),
        ("all", "7"),
    }
    assert "+1773" not in answer.text and "Ana" not in answer.text  # aggregate only


def test_a_small_count_is_never_given_away_by_a_total(client, people, db, supervisor):
    key, at = week_back(8)
    for good in [True] * 9 + [False] * 3:
        add_search_outcome(
            db, searched_on=at.date(), need="education", community_area="Mount Greenwood", language="en", good=good
        )
    page = supervisor.get(PAGE, params={"need": "education", "week": key})
    rows = rows_of(page.text, "searches")
    # 12 searches, 3 found nothing good: "<5"; the 9 good ones would give it back (12 - 9), so they are hidden.
    assert rows["Mount Greenwood"] == ["12", HIDDEN, "<5"]
    assert rows["All areas"] == ["12", HIDDEN, "<5"]
    no_lone_hidden(table_lines(rows))
    assert "a count under 5 shows as" in page.text  # the rule, said on the page
    by_need = rows_of(supervisor.get(PAGE, params={"week": key}).text, "searches")
    assert by_need["Education"] == ["12", HIDDEN, "<5"]
    no_lone_hidden(table_lines(by_need))

    table = csv_of(supervisor.get(CSV, params={"table": "searches", "need": "education", "week": key}))
    [row] = [r for r in table if r["community_area"] == "Mount Greenwood"]
    assert (row["searches"], row["good_result"], row["no_good_result"]) == ("12", HIDDEN, "<5")
    assert all(r["good_result"] != "9" for r in table)


def test_the_cube_hides_a_second_number_until_no_line_has_one(client):
    # 2 x 2 with totals: 3 is small; its row and column would give it back, and then the cells they hid.
    axes = [Axis("row", ("a", "b")), Axis("col", ("x", "y"))]
    records = [("a", "x")] * 3 + [("a", "y")] * 20 + [("b", "x")] * 30 + [("b", "y")] * 40
    cube = protected_cube(axes, records)
    shown = {(r, c): cube.shown(row=r, col=c) for r in ("a", "b", ALL) for c in ("x", "y", ALL)}
    assert shown[("a", "x")] == "<5"
    assert shown[("a", "y")] == HIDDEN and shown[("b", "x")] == HIDDEN and shown[("b", "y")] == HIDDEN
    assert shown[("a", ALL)] == "23" and shown[("b", ALL)] == "70" and shown[(ALL, ALL)] == "93"
    for r in ("a", "b", ALL):
        no_lone_hidden([[shown[(r, c)] for c in ("x", "y", ALL)]])
    for c in ("x", "y", ALL):
        no_lone_hidden([[shown[(r, c)] for r in ("a", "b", ALL)]])
    # A one-cell line: its total is the cell, so both are small together.
    single = protected_cube([Axis("only", ("a",))], [("a",)] * 2)
    assert single.shown(only="a") == single.shown(only=ALL) == "<5"
    # Several categories per record: each counted, the total counts the record once.
    multi = protected_cube([Axis("need", ("x", "y", "z"))], [(("x", "y"),)] * 6 + [(("x",),)] * 6)
    assert [multi.shown(need=n) for n in ("x", "y", "z", ALL)] == ["12", HIDDEN, "<5", "12"]
    # Only published views can be read, and only once protected.
    cube = Cube((Axis("a", ("1",)), Axis("b", ("2",))), published=(frozenset({"b"}),))
    cube.add("1", "2")
    with pytest.raises(RuntimeError):
        cube.shown(a="1", b=ALL)
    cube.protect()
    assert cube.shown(a="1", b=ALL) == "<5"
    with pytest.raises(ValueError, match="no published view"):
        cube.shown(a="1", b="2")
    with pytest.raises(ValueError, match="not a category"):
        Cube((Axis("a", ("1",)),)).add("2")


# --- searches without a good result -----------------------------------------------------------------------------


def newest_outcomes(db, after: int) -> list[tuple]:
    db.expire_all()
    query = select(SearchOutcome.need, SearchOutcome.community_area, SearchOutcome.language, SearchOutcome.good).where(
        SearchOutcome.id > after
    )
    return list(db.execute(query.order_by(SearchOutcome.id)).tuples())


def last_id(db) -> int:
    return db.scalar(select(func.max(SearchOutcome.id))) or 0


def test_the_search_records_its_outcome_and_no_text(client, people, db):
    _, headers = people
    before = last_id(db)
    searches = [
        {"q": "food pantry groceries", "near": "Auburn Gresham"},  # good, food
        {"q": "necesito comida para mis hijos", "near": "60623"},  # good, food, in Spanish; a ZIP's area
        {"q": "zqxvbl wrtpfk", "category": "legal"},  # nothing good; the category asked for
        {"q": "zqxvbl wrtpfk", "near": "41.8781,-87.6298"},  # nothing good, unclassified; a point's area
    ]
    for params in searches:
        assert client.get(SEARCH, params=params, headers=headers["service"]).status_code == 200
    today = datetime.now(UTC).date()
    assert newest_outcomes(db, before) == [
        ("food", "Auburn Gresham", "en", True),
        ("food", "South Lawndale", "es", True),
        ("legal", None, "en", False),
        ("unclassified", "Loop", "en", False),
    ]
    rows = db.execute(select(SearchOutcome).where(SearchOutcome.id > before)).scalars().all()
    assert {r.searched_on for r in rows} == {today}
    # The table has these columns only, and nothing typed is in any of them.
    assert {c["name"] for c in inspect(db.get_bind()).get_columns("search_outcomes")} == {
        "id", "searched_on", "need", "community_area", "language", "good",
    }  # fmt: skip
    stored = " ".join(str(v) for r in rows for v in (r.searched_on, r.need, r.community_area, r.language, r.good))
    for typed in ("pantry", "comida", "zqxvbl", "60623", "41.87", "-87.6"):
        assert typed not in stored

    # The public page's searches are not residents' searches, and the action server's place lookups are no searches.
    before = last_id(db)
    assert client.get(SEARCH, params={"q": "food pantry groceries", "near": "Auburn Gresham"}).status_code == 200
    assert client.get("/api/v1/places", params={"near": "60617"}, headers=headers["service"]).status_code == 200
    assert newest_outcomes(db, before) == []


def test_a_failing_outcome_write_never_fails_the_search(client, people, db, monkeypatch, caplog):
    _, headers = people
    before = last_id(db)

    def broken(*args, **kwargs):
        raise OperationalError("INSERT ... 'food pantry groceries' ...", {}, Exception("database is down"))

    monkeypatch.setattr(search_record, "add_search_outcome", broken)
    with caplog.at_level(logging.WARNING, logger="navigator.api.search_record"):
        answer = client.get(SEARCH, params={"q": "food pantry groceries"}, headers=headers["service"])
    assert answer.status_code == 200 and answer.json()["results"]
    assert "search outcome not recorded: OperationalError" in caplog.text
    assert "pantry" not in caplog.text and "database is down" not in caplog.text

    def confused(*args, **kwargs):
        raise KeyError("food pantry groceries")

    monkeypatch.setattr(search_record, "classify_need", confused)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="navigator.api.search_record"):
        answer = client.get(SEARCH, params={"q": "food pantry groceries"}, headers=headers["service"])
    assert answer.status_code == 200 and "search outcome not recorded: KeyError" in caplog.text
    assert "pantry" not in caplog.text
    assert newest_outcomes(db, before) == []


# --- outcomes and time to first contact -------------------------------------------------------------------------


def test_time_to_first_contact_on_known_data(client, people, db, supervisor):
    _, headers = people
    key, at = week_back(4)
    waits = [1, 2, 3, 4, 10, 20]
    youth = made(client, headers, db, at, len(waits), needs=["youth"], community_area="Beverly")
    education = made(client, headers, db, at, 2, needs=["education"], community_area="Beverly")
    made(client, headers, db, at, 1, needs=["youth"], community_area="Beverly")  # not contacted: not counted
    for code, hours in [*zip(youth, waits, strict=True), *zip(education, [30, 40], strict=True)]:
        referral = get_referral(db, code=code)
        first = at + timedelta(hours=hours)
        referral.history.append(ReferralEvent(actor="staff:1", from_status="assigned", to_status="contacted", at=first))
        # A later "contacted" (after unable to reach, then assigned again) is not the first contact.
        referral.history.append(
            ReferralEvent(actor="staff:1", from_status="assigned", to_status="contacted", at=first + timedelta(days=3))
        )
        referral.status = "contacted"
    db.commit()

    page = supervisor.get(PAGE, params={"week": key})
    rows = rows_of(page.text, "contact")
    assert rows["Youth programs"] == ["6", "3.5", "15.0"]  # the median of 1..20; the 90th percentile, interpolated
    assert rows["Education"] == ["<5", "—not given", "—not given"]
    everyone = sorted([*waits, 30, 40])
    assert rows["All needs"][0] == "8" and rows["All needs"][1] == str(round((everyone[3] + everyone[4]) / 2, 1))
    table = csv_of(supervisor.get(CSV, params={"table": "contact", "week": key}))
    by_need = {r["need"]: r for r in table}
    assert (by_need["youth"]["contacted_referrals"], by_need["youth"]["median_hours"]) == ("6", "3.5")
    assert by_need["youth"]["p90_hours"] == "15.0" and by_need["education"]["median_hours"] == ""

    statuses = rows_of(supervisor.get(PAGE, params={"need": "youth"}).text, "statuses")
    assert week_row(statuses, key) == ["<5", "<5", "6", "<5", "<5", "<5", "<5", "7"]
    outcomes = csv_of(supervisor.get(CSV, params={"table": "outcomes", "need": "youth"}))
    assert {(r["measure"], r["value"], r["referrals"]) for r in outcomes if r["week"] == key} >= {
        ("status", "contacted", "6"),
        ("outcome", "none", "7"),
        ("total", "all", "7"),
    }


def test_outcome_order_is_every_outcome():
    assert set(OUTCOME_ORDER) == OUTCOMES


# --- the map ----------------------------------------------------------------------------------------------------


def test_the_map_has_the_77_areas_inside_its_box_and_is_made_on_first_use():
    shapes = area_shapes()
    assert len(shapes) == 77 and [s.number for s in shapes] == list(range(1, 78))
    assert {s.name for s in shapes} == {a.name for a in community_areas().values()}
    numbers = [float(n) for s in shapes for n in re.findall(r"-?\d+\.\d", s.path)]
    xs, ys = numbers[0::2], numbers[1::2]
    assert min(xs) >= 0 and max(xs) <= WIDTH and min(ys) >= 0 and max(ys) <= HEIGHT
    assert max(ys) - min(ys) > 650  # it fills the box's height (the city is taller than wide)
    # Norwood Park has a hole: two rings.
    assert next(s for s in shapes if s.number == 10).path.count("M") == 2
    imported = subprocess.run(
        [sys.executable, "-c", "import api.core.choropleth as c; print(c.area_shapes.cache_info().currsize)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert imported.stdout.strip() == "0"


# --- the migration ----------------------------------------------------------------------------------------------


def test_the_migration_adds_search_outcomes_and_removes_them(empty_database):
    upgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    assert "search_outcomes" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(empty_database)
    engine = make_engine(empty_database)
    tables = inspect(engine)
    assert {c["name"] for c in tables.get_columns("search_outcomes")} == {
        "id", "searched_on", "need", "community_area", "language", "good",
    }  # fmt: skip
    assert [i["column_names"] for i in tables.get_indexes("search_outcomes")] == [["searched_on"]]
    with engine.begin() as connection:
        connection.execute(
            SearchOutcome.__table__.insert().values(
                searched_on=date(2026, 11, 25), need="food", community_area=None, language="es", good=False
            )
        )
    engine.dispose()
    downgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    assert "search_outcomes" not in inspect(engine).get_table_names()
    engine.dispose()

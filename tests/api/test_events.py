"""Community events and safe-space hours (issue 8), on SQLite and PostgreSQL: importing an iCalendar feed
(`python -m api.events import`), `GET /api/v1/events` (nearest first, then soonest, with an SMS line in the
resident's language) and the migration.

The database is the session's, shared by the tests of one backend: each import test imports its own copy of the
feed (its own source), and each query test puts its events in a window of its own, years ahead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from api import events as importer
from api.crud.events import create_event, validated
from api.crud.referrals import audit_entries
from api.db.migrate import downgrade, upgrade
from api.db.models import CommunityEvent
from api.db.session import make_engine, make_sessionmaker
from api.events import Defaults, FeedError, main, parse_feed, run_import
from api.routes.events import now_utc
from knowledge.geo import community_areas
from knowledge.sms import is_gsm7, segments
from knowledge.when import chicago
from tests.local_server import LocalServer

ROOT = Path(__file__).resolve().parents[2]
FEED = ROOT / "tests" / "data" / "events.ics"
# The feed's events are in October to December 2026; the imports see them from here.
NOW = datetime(2026, 10, 20, 12, tzinfo=chicago())
MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
UIDS = {
    "gym": "teen-open-gym@partners.example",
    "toman": "toman-safe-haven@partners.example",
    "feria": "feria-salud@partners.example",
    "day": "englewood-day@partners.example",
    "bingo": "senior-bingo@partners.example",
    "slam": "poetry-slam@partners.example",
    "circle": "parents-circle@partners.example",
}


def local(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(chicago())


def utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


@pytest.fixture
def feed(tmp_path) -> Path:
    """A copy of the test feed: its own file, so its own source in the shared database."""
    copy = tmp_path / "partners.ics"
    shutil.copy(FEED, copy)
    return copy


def stored(db, source: str) -> list[CommunityEvent]:
    db.expire_all()
    query = select(CommunityEvent).where(CommunityEvent.source == source)
    return list(db.scalars(query.order_by(CommunityEvent.starts_at, CommunityEvent.id)))


def of(rows: list[CommunityEvent], key: str) -> list[CommunityEvent]:
    return [r for r in rows if r.ical_uid == UIDS[key]]


def import_feed(database_settings, location, **options):
    return run_import(database_url=database_settings.database_url, location=str(location), now=NOW, **options)


# --- the import ------------------------------------------------------------------------------------------------


def test_a_feed_becomes_events_in_community_areas(database_settings, db, feed):
    report = import_feed(database_settings, feed)
    source = feed.resolve().as_uri()
    assert report.source == source
    rows = stored(db, source)
    # 8 Saturdays of the gym (one moved), 38 weekdays of safe-space hours, and five single events.
    assert (report.created, report.updated, report.unchanged, report.removed) == (51, 0, 0, 0)
    assert len(rows) == 51 and report.cancelled == 1
    assert sorted(s.uid for s in report.skipped) == ["evanston-walk@partners.example", "popup-fair@partners.example"]
    skipped = {s.uid: s.reason for s in report.skipped}
    assert skipped["popup-fair@partners.example"].startswith("no community area")
    assert skipped["evanston-walk@partners.example"] == "GEO 42.04560,-87.68770 is not in Chicago"
    # Nothing that ended before the import, nothing cancelled, nothing unplaced.
    titles = {r.title_en for r in rows}
    assert not titles & {"Summer block party", "Fall dance", "Pop-up resource fair", "Lakefront walk"}

    # A weekly event at 2 pm stays at 2 pm across the end of daylight saving time (November 1).
    gym = of(rows, "gym")
    assert [local(g.starts_at).strftime("%m-%d %H:%M") for g in gym] == [
        "10-24 14:00", "10-31 14:00", "11-07 14:00", "11-14 14:00",
        "11-21 16:00", "11-28 14:00", "12-05 14:00", "12-12 14:00",
    ]  # fmt: skip
    assert utc(gym[1].starts_at).hour == 19 and utc(gym[2].starts_at).hour == 20
    assert all(utc(g.ends_at) - utc(g.starts_at) == timedelta(hours=3) for g in gym)
    # The moved occurrence (RECURRENCE-ID) keeps its series' place and audience, with its own title and time.
    moved = gym[4]
    assert (moved.title_en, moved.recurrence_id) == ("Teen Open Gym (late start)", "20261121T200000Z")
    assert (moved.community_area, moved.audiences, moved.latitude) == (68, ["teens"], 41.7795)
    # GEO inside Englewood's boundary: the area, and the point kept for distances.
    assert {(g.community_area, g.latitude, g.longitude, g.kind) for g in gym} == {(68, 41.7795, -87.6445, "event")}
    assert gym[0].address == "Kennedy-King College, 6301 S Halsted St, Chicago, IL 60621"

    # Weekday safe-space hours from an Outlook-style zone (TZID "Central Standard Time" with its VTIMEZONE), without
    # the EXDATEs (Thanksgiving and the day after), up to UNTIL.
    toman = of(rows, "toman")
    days = [local(t.starts_at).date().isoformat() for t in toman]
    assert len(toman) == 38 and days[0] == "2026-10-26" and days[-1] == "2026-12-18"
    assert "2026-11-26" not in days and "2026-11-27" not in days and "2026-11-25" in days
    assert {local(t.starts_at).strftime("%H:%M") for t in toman} == {"15:00"}
    first = toman[0]
    assert (first.kind, first.community_area, first.audiences, first.languages) == (
        "safe_space",
        30,
        ["youth"],
        ["en", "es"],
    )
    assert first.title_es == "Espacio seguro después de clases en la biblioteca Toman"
    assert first.description_es.startswith("Un lugar tranquilo y supervisado")
    assert first.description_en == "A quiet, supervised place after school, with snacks and homework help."

    # A Spanish event: its SUMMARY is the Spanish title, X-NAVIGATOR-TITLE-EN the English one; "La Villita" in
    # LOCATION is South Lawndale; "Familias" is families; held in Spanish.
    [feria] = of(rows, "feria")
    assert (feria.title_en, feria.title_es) == ("Family health fair", "Feria de salud para familias")
    assert (feria.description_es, feria.description_en) == ("Vacunas, chequeos y despensa gratis.", None)
    assert (feria.community_area, feria.audiences, feria.languages) == (30, ["families"], ["es"])
    assert feria.latitude is None and feria.recurrence_id == ""

    # An all-day event: Chicago's midnight to the next.
    [day] = of(rows, "day")
    assert day.all_day and local(day.starts_at) == datetime(2026, 11, 14, tzinfo=chicago())
    assert local(day.ends_at) == datetime(2026, 11, 15, tzinfo=chicago())
    assert (day.community_area, day.audiences) == (68, ["everyone"])
    # UTC, New York and floating times.
    [bingo] = of(rows, "bingo")
    assert utc(bingo.starts_at) == datetime(2026, 11, 10, 23, tzinfo=UTC) and bingo.community_area == 31
    [slam] = of(rows, "slam")
    assert local(slam.starts_at) == datetime(2026, 11, 12, 18, tzinfo=chicago())  # 7 pm in New York
    assert utc(slam.ends_at) - utc(slam.starts_at) == timedelta(hours=2) and slam.community_area == 32
    [circle] = of(rows, "circle")
    assert local(circle.starts_at) == datetime(2026, 11, 15, 18, tzinfo=chicago())  # floating: Chicago time
    assert (circle.community_area, circle.audiences, circle.languages) == (68, ["families"], ["en"])
    assert all(r.created_by is None and r.source == source for r in rows)

    [entry] = [e for e in audit_entries(db, limit=1000) if e.action == "import_events" and source in e.detail]
    assert entry.actor == "import:events" and entry.detail.startswith("+51 ~0 -0 skipped 2 from file://")


def test_importing_again_updates_rather_than_duplicates(database_settings, db, feed):
    import_feed(database_settings, feed)
    source = feed.resolve().as_uri()
    before = {(r.ical_uid, r.recurrence_id): r.id for r in stored(db, source)}

    again = import_feed(database_settings, feed)
    assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 51, 0)
    assert {(r.ical_uid, r.recurrence_id): r.id for r in stored(db, source)} == before

    # The feed changes: a new title, an event dropped, one cancelled, and a week later another Saturday in reach.
    changed = FEED.read_text(encoding="utf-8")
    changed = changed.replace(
        "SUMMARY;LANGUAGE=es:Feria de salud para familias", "SUMMARY;LANGUAGE=es:Gran feria de salud"
    )
    changed = re.sub(r"BEGIN:VEVENT\nUID:parents-circle@.*?END:VEVENT\n", "", changed, flags=re.S)
    changed = changed.replace("SUMMARY:Senior bingo night\n", "SUMMARY:Senior bingo night\nSTATUS:CANCELLED\n")
    feed.write_text(changed, encoding="utf-8")
    later = run_import(database_url=database_settings.database_url, location=str(feed), now=NOW + timedelta(days=7))
    # Past occurrences are not in reach any more, and are not removed either: only upcoming events follow the feed.
    assert (later.created, later.updated, later.removed, later.cancelled) == (1, 1, 2, 2)
    rows = stored(db, source)
    after = {(r.ical_uid, r.recurrence_id): r.id for r in rows}
    assert set(after) == (set(before) - {(UIDS["circle"], ""), (UIDS["bingo"], "")}) | {
        (UIDS["gym"], "20261219T200000Z")
    }
    assert all(after[key] == before[key] for key in after if key in before)
    [feria] = of(rows, "feria")
    assert (feria.title_es, feria.title_en) == ("Gran feria de salud", "Family health fair")
    assert local(of(rows, "gym")[0].starts_at).date().isoformat() == "2026-10-24"  # past, kept


def test_two_sources_never_mix_and_an_occurrence_is_unique_per_source(database_settings, db, feed):
    name = f"partners-{uuid.uuid4().hex[:8]}"
    assert import_feed(database_settings, feed, source=name).created == 51
    assert import_feed(database_settings, feed, source=name + "-b").created == 51
    assert len(stored(db, name)) == len(stored(db, name + "-b")) == 51
    row = stored(db, name)[0]
    fields = {c: getattr(row, c) for c in ("title_en", "kind", "starts_at", "ends_at", "community_area")}
    db.add(CommunityEvent(**fields, audiences=[], languages=[], source=name, ical_uid=row.ical_uid,
                          recurrence_id=row.recurrence_id))  # fmt: skip
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
    # Console events have no UID: any number of them.
    for _ in range(2):
        db.add(CommunityEvent(**fields, audiences=["everyone"], languages=["en"], source="console"))
    db.flush()
    db.rollback()


def test_a_dry_run_reads_and_counts_but_stores_nothing(database_settings, db, feed, capsys, monkeypatch):
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", database_settings.database_url)
    monkeypatch.setattr(importer, "utcnow", lambda: NOW)
    assert main(["import", str(feed), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "new: 51, changed: 0, unchanged: 0" in out and "skipped: 2" in out and "dry run: nothing was changed" in out
    assert "  popup-fair@partners.example: no community area" in out
    assert stored(db, feed.resolve().as_uri()) == []


def test_the_feeds_defaults_from_the_command_line(database_settings, db, feed, capsys, monkeypatch):
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", database_settings.database_url)
    monkeypatch.setattr(importer, "utcnow", lambda: NOW)
    code = main(["import", str(feed), "--area-default", "Englewood", "--languages-default", "en,ES-mx",
                 "--kind-default", "safe_space", "--source", f"defaults-{uuid.uuid4().hex[:8]}"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    source = re.search(r"^events from (\S+)$", out, re.M).group(1)
    rows = stored(db, source)
    # The event without a place gets the default area; a place outside Chicago is still refused, not defaulted.
    [popup] = [r for r in rows if r.ical_uid == "popup-fair@partners.example"]
    assert (popup.community_area, popup.languages, popup.kind, popup.audiences) == (
        68, ["en", "es"], "safe_space", ["everyone"],
    )  # fmt: skip
    assert "evanston-walk@partners.example: GEO" in out and "skipped: 1" in out
    # Events that say their language, kind or place keep theirs.
    [feria] = [r for r in rows if r.ical_uid == UIDS["feria"]]
    assert (feria.languages, feria.kind, feria.community_area) == (["es"], "safe_space", 30)
    assert {r.kind for r in rows if r.ical_uid == UIDS["toman"]} == {"safe_space"}


def ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip().replace(chr(10), chr(13) + chr(10))}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n".encode()


def test_recurrences_keep_their_clock_through_spring_forward_and_utc_rules_keep_utc():
    now = datetime(2027, 3, 1, tzinfo=chicago())
    parsed = parse_feed(
        ics(
            """UID:evening@x
SUMMARY:Evening hours
DTSTART;TZID=America/Chicago:20270308T180000
DTEND;TZID=America/Chicago:20270308T200000
RRULE:FREQ=DAILY;COUNT=10
X-NAVIGATOR-AREA:Englewood""",
            """UID:utc@x
SUMMARY:UTC rule
DTSTART:20270308T230000Z
DTEND:20270309T000000Z
RRULE:FREQ=WEEKLY;UNTIL=20270316T000000Z
X-NAVIGATOR-AREA:Englewood""",
            """UID:allday@x
SUMMARY:Spring day
DTSTART;VALUE=DATE:20270314
X-NAVIGATOR-AREA:Englewood""",
        ),
        now=now,
    )
    assert parsed.skipped == []
    evening = [o.fields for o in parsed.occurrences if o.uid == "evening@x"]
    assert len(evening) == 10
    assert {local(f.starts_at).strftime("%H:%M") for f in evening} == {"18:00"}
    # March 14, 2027: the offset moves from -6 to -5 hours, so 6 pm is 00:00 UTC before and 23:00 UTC after.
    assert [utc(f.starts_at).strftime("%d %H") for f in evening[5:8]] == ["14 00", "14 23", "15 23"]
    assert all(f.ends_at - f.starts_at == timedelta(hours=2) for f in evening)
    utc_rule = [o for o in parsed.occurrences if o.uid == "utc@x"]
    assert [(o.recurrence_id, local(o.fields.starts_at).hour) for o in utc_rule] == [
        ("20270308T230000Z", 17), ("20270315T230000Z", 18),
    ]  # fmt: skip
    [spring] = [o.fields for o in parsed.occurrences if o.uid == "allday@x"]  # no DTEND: one day
    assert spring.all_day and spring.ends_at - spring.starts_at == timedelta(hours=23)


def test_recurrences_reach_days_ahead_and_no_further():
    feed = ics(
        """UID:daily@x
SUMMARY:Daily
DTSTART;TZID=America/Chicago:20200101T100000
DTEND;TZID=America/Chicago:20200101T110000
RRULE:FREQ=DAILY
X-NAVIGATOR-AREA:Englewood"""
    )
    assert len(parse_feed(feed, now=NOW).occurrences) == 60
    assert len(parse_feed(feed, now=NOW, days=7).occurrences) == 7
    hourly = ics(
        "UID:hourly@x\nSUMMARY:x\nDTSTART:20200101T100000Z\nDTEND:20200101T103000Z\nRRULE:FREQ=HOURLY\nLOCATION:Pilsen"
    )
    assert [s.reason for s in parse_feed(hourly, now=NOW).skipped] == [
        "RRULE FREQ=HOURLY is not supported (daily or less often)"
    ]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("UID:a@x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nX-NAVIGATOR-AREA:68", "no SUMMARY (title)"),
        ("UID:a@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nX-NAVIGATOR-AREA:68",
         "it ends before it starts, or has no end"),
        ("UID:a@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nX-NAVIGATOR-AREA:Gotham",
         "'Gotham' is not a Chicago community area"),
        ("UID:a@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nX-NAVIGATOR-AREA:60623",
         "ZIP 60623 spans 2 community areas: name the area"),
        ("UID:a@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nLOCATION:2800 S Pulaski\\, 60623",
         "no community area"),
        ("UID:a@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nX-NAVIGATOR-AREA:68\n"
         "X-NAVIGATOR-LANGUAGES:en,klingon", "language 'klingon' is not one of"),
        ("UID:a@x\nSUMMARY:x\nDTSTART:notadate\nDTEND:20261101T110000Z\nX-NAVIGATOR-AREA:68", "Wrong date format"),
        ("SUMMARY:No uid\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nX-NAVIGATOR-AREA:68",
         "no UID, so a re-import could not find it"),
        ("UID:a@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nX-NAVIGATOR-AREA:Loop\n"
         "GEO:41.7795;-87.6445", "the latitude and longitude are in Englewood, not in Loop"),
    ],
)  # fmt: skip
def test_a_bad_event_is_skipped_with_its_reason_and_the_others_are_kept(event, reason):
    good = "UID:good@x\nSUMMARY:Good\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nLOCATION:Pilsen"
    parsed = parse_feed(ics(event, good), now=NOW)
    assert [o.uid for o in parsed.occurrences] == ["good@x"]
    assert parsed.occurrences[0].fields.community_area == 31
    [skipped] = parsed.skipped
    assert reason in skipped.reason


# --- bad input: exit 2, one line, no traceback -----------------------------------------------------------------


class FeedServer(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] == "/partners.ics":
            body = FEED.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


def test_a_feed_by_url(database_settings, db):
    with LocalServer(FeedServer) as server:
        url = f"{server.url}/partners.ics?run={uuid.uuid4().hex[:8]}"
        report = import_feed(database_settings, url)
        assert report.source == url and report.created == 51 and len(stored(db, url)) == 51
        with pytest.raises(FeedError, match=r"^the feed answered HTTP 404$"):
            import_feed(database_settings, f"{server.url}/gone.ics")


def test_bad_input_is_a_one_line_error_and_exit_2(database_settings, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", database_settings.database_url)
    (tmp_path / "notes.ics").write_text("these are not events\n")
    (tmp_path / "event.ics").write_bytes(b"BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n")
    (tmp_path / "empty.ics").write_bytes(b"")
    cases = [
        ([str(tmp_path / "missing.ics")], "error: no such file: "),
        ([str(tmp_path)], "is a folder, not an .ics file"),
        ([str(tmp_path / "notes.ics")], "error: this is not an iCalendar feed: it does not parse as one VCALENDAR"),
        ([str(tmp_path / "empty.ics")], "error: this is not an iCalendar feed"),
        ([str(tmp_path / "event.ics")], "error: this is not an iCalendar feed: it holds a VEVENT, not a VCALENDAR"),
        (["ftp://example.org/feed.ics"], "error: give a file path or an http://, https:// or webcal:// URL"),
        (["http://127.0.0.1:9/feed.ics"], "error: cannot fetch the feed: ConnectError"),
        ([str(FEED), "--source", "x" * 501], "error: the source name is longer than 500 characters"),
    ]
    for args, says in cases:
        assert main(["import", *args]) == 2, args
        captured = capsys.readouterr()
        assert says in captured.err and captured.err.count("\n") == 1 and captured.out == "", (args, captured)
    for args, says in [
        (["--area-default", "Gotham"], "'Gotham' is not a Chicago community area"),
        (["--area-default", "60623"], "ZIP 60623 spans 2 community areas"),
        (["--languages-default", "xx"], "language 'xx' is not one of"),
        (["--days", "0"], "must be from 1 to 366"),
        (["--kind-default", "party"], "invalid choice"),
    ]:
        with pytest.raises(SystemExit) as refused:
            main(["import", str(FEED), *args])
        assert refused.value.code == 2 and says in capsys.readouterr().err

    # A database that is not there, or not migrated: nothing is created.
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", f"sqlite:///{tmp_path / 'typo.db'}")
    assert main(["import", str(FEED)]) == 2
    assert "error: no database at sqlite:///" in capsys.readouterr().err and not (tmp_path / "typo.db").exists()
    bare = tmp_path / "bare.db"
    make_engine(f"sqlite:///{bare}").connect().close()
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", f"sqlite:///{bare}")
    assert main(["import", str(FEED)]) == 2
    assert "has no community_events table: run python -m api.db.migrate" in capsys.readouterr().err
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/x")
    assert main(["import", str(FEED)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the database at postgresql+psycopg://postgres:***@127.0.0.1:1/x failed")
    assert "hunter2" not in err and err.count("\n") == 1


def test_the_command_as_cron_runs_it(database_settings, db, tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "NAVIGATOR_DATABASE_URL": database_settings.database_url,
    }
    command = [sys.executable, "-m", "api.events", "import"]
    bad = subprocess.run([*command, "nowhere.ics"], capture_output=True, text=True, cwd=tmp_path, env=env, check=False)
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "error: no such file: nowhere.ics\n")
    shutil.copy(FEED, tmp_path / "feed.ics")
    good = subprocess.run([*command, "feed.ics"], capture_output=True, text=True, cwd=tmp_path, env=env, check=False)
    assert good.returncode == 0, good.stderr
    # Run now, not in October 2026: what is still ahead of today is imported, and none of it twice.
    source = (tmp_path / "feed.ics").resolve().as_uri()
    assert good.stdout.startswith(f"events from {source}\nnew: ")
    rows = stored(db, source)
    assert all(utc(r.ends_at) > datetime.now(UTC) - timedelta(minutes=5) for r in rows)
    assert len({(r.ical_uid, r.recurrence_id) for r in rows}) == len(rows)


# --- GET /api/v1/events ----------------------------------------------------------------------------------------


@pytest.fixture
def window():
    """A Chicago Monday of its own, years ahead, so no other test's events are in the way."""
    base = datetime.now(chicago()).date() + timedelta(days=1500 + uuid.uuid4().int % 3000)
    monday = base - timedelta(days=base.weekday())
    return datetime.combine(monday, datetime.min.time(), tzinfo=chicago())


def add(db, start: datetime, hours: float = 2, **fields) -> CommunityEvent:
    values = {
        "title_en": "Event",
        "kind": "event",
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "community_area": 68,
        "address": "6301 S Halsted St",
        "audiences": ["everyone"],
        "languages": ["en"],
        **fields,
    }
    event = create_event(db, fields=validated(values), created_by=None)
    db.commit()
    return event


def get_events(client, window_start: datetime, days: int = 7, **params):
    query = {"from": window_start.isoformat(), "to": (window_start + timedelta(days=days)).isoformat(), **params}
    return client.get("/api/v1/events", params=query)


def titles(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["title"] for r in answer.json()["results"]]


def test_nearest_first_then_soonest(client, database_settings, db, window):
    englewood = community_areas()[68]
    add(db, window + timedelta(days=2, hours=10), title_en="Englewood later")
    add(db, window + timedelta(days=1, hours=10), title_en="Englewood sooner")
    add(db, window + timedelta(hours=10), title_en="Loop", community_area=32, address="400 S State St")
    add(db, window + timedelta(hours=12), title_en="Rogers Park", community_area=1, address="7059 N Glenwood Ave")
    # A site of its own, 0.7 km north of Englewood's centre: farther than the area's events, nearer than the Loop.
    add(db, window + timedelta(hours=9), title_en="Site", latitude=englewood.lat + 0.0063, longitude=englewood.lon)

    answer = get_events(client, window, near="Englewood")
    assert titles(answer) == ["Englewood sooner", "Englewood later", "Site", "Loop", "Rogers Park"]
    body = answer.json()
    distances = [r["distance_km"] for r in body["results"]]
    assert distances[:3] == [0.0, 0.0, 0.7] and distances == sorted(distances) and distances[4] > 20
    assert body["near"]["community_area"] == 68 and body["total"] == 5
    assert body["results"][0]["community_area"] == {"number": 68, "name": "Englewood"}
    # From a ZIP code or a point the order follows the distance from there.
    assert titles(get_events(client, window, near="60605"))[0] == "Loop"
    assert titles(get_events(client, window, near="42.0106,-87.6630"))[0] == "Rogers Park"
    # Without a place: soonest first.
    plain = get_events(client, window)
    assert titles(plain) == ["Site", "Loop", "Rogers Park", "Englewood sooner", "Englewood later"]
    assert {r["distance_km"] for r in plain.json()["results"]} == {None}
    assert titles(get_events(client, window, near="Englewood", limit=2)) == ["Englewood sooner", "Englewood later"]
    assert get_events(client, window, near="Englewood", limit=2).json()["total"] == 5


def test_audience_kind_and_language_filters(client, database_settings, db, window):
    start = window + timedelta(days=1, hours=15)
    add(db, start, title_en="Teens", audiences=["teens"])
    add(db, start + timedelta(hours=1), title_en="Youth", audiences=["youth"], languages=["en", "es"])
    add(db, start + timedelta(hours=2), title_en="Families", audiences=["families"], languages=["es"])
    add(db, start + timedelta(hours=3), title_en="Everyone", audiences=["everyone"], kind="safe_space")
    add(db, start + timedelta(hours=4), title_en="Seniors", audiences=["seniors", "adults"])

    assert titles(get_events(client, window, audience="teens")) == ["Teens", "Youth", "Everyone"]
    assert titles(get_events(client, window, audience="youth")) == ["Teens", "Youth", "Everyone"]
    assert titles(get_events(client, window, audience="families")) == ["Families", "Everyone"]
    assert titles(get_events(client, window, audience="adults")) == ["Everyone", "Seniors"]
    assert titles(get_events(client, window, audience="everyone")) == ["Everyone"]
    assert titles(get_events(client, window, language="es")) == ["Youth", "Families"]
    assert titles(get_events(client, window, language="es", audience="families")) == ["Families"]
    assert titles(get_events(client, window, kind="safe_space")) == ["Everyone"]
    assert titles(get_events(client, window, kind="event", audience="teens")) == ["Teens", "Youth"]
    assert titles(get_events(client, window, language="pl")) == []


def test_in_the_residents_language_with_an_sms_line(client, database_settings, db, window):
    saturday = window + timedelta(days=5, hours=14)
    add(db, saturday, hours=3, title_en="Teen Open Gym", title_es="Gimnasio abierto para jóvenes",
        description_en="Basketball", description_es="Básquetbol",
        address="Kennedy-King College, 6301 S Halsted St")  # fmt: skip
    add(db, saturday + timedelta(hours=1), title_en="Only in English")
    long_title = "Community resource fair with food, clothing, legal help, health screenings and a lot more " * 2
    add(db, saturday + timedelta(hours=2), title_en=long_title.strip()[:200], address="A very long address " * 10)

    english = get_events(client, window, near="Englewood").json()["results"]
    spanish = get_events(client, window, near="Englewood", lang="es").json()["results"]
    day = saturday.strftime("%b %-d")
    assert english[0]["sms"] == f"Sat {day}, 2-5pm: Teen Open Gym, Kennedy-King College, 6301 S Halsted St (Englewood)"
    assert (english[0]["title"], english[0]["description"]) == ("Teen Open Gym", "Basketball")
    es_day = f"{saturday.day} {MONTHS_ES[saturday.month - 1]}"
    assert spanish[0]["sms"] == (
        f"sab {es_day}, de 2 a 5 pm: Gimnasio abierto para jovenes, Kennedy-King College, 6301 S Halsted St (Englewood)"
    )
    assert (spanish[0]["title"], spanish[0]["description"]) == ("Gimnasio abierto para jóvenes", "Básquetbol")
    assert spanish[1]["title"] == "Only in English" and spanish[1]["sms"].startswith(f"sab {es_day}, de 3 a 5 pm: Only")
    # GSM-7, one segment each, the long one cut at a word with "...".
    for result in english + spanish:
        assert is_gsm7(result["sms"]) and segments(result["sms"]) == 1, result["sms"]
    assert english[2]["sms"].startswith(f"Sat {day}, 4-6pm: Community resource fair") and "..." in english[2]["sms"]
    assert english[2]["title"] == long_title.strip()[:200]


def test_only_upcoming_events(client, database_settings, db):
    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:8]
    add(db, now - timedelta(hours=3), hours=2, title_en=f"ended {tag}")
    add(db, now - timedelta(hours=1), hours=2, title_en=f"on now {tag}")
    add(db, now + timedelta(hours=1), hours=2, title_en=f"soon {tag}")
    query = {"from": (now - timedelta(hours=4)).isoformat(), "to": (now + timedelta(hours=4)).isoformat(), "limit": 50}
    found = [t for t in titles(client.get("/api/v1/events", params=query)) if tag in t]
    assert found == [f"on now {tag}", f"soon {tag}"]
    # The default window starts now.
    assert [t for t in titles(client.get("/api/v1/events", params={"limit": 50})) if tag in t] == found


def test_when_in_the_residents_words(client, database_settings, db, window):
    thursday = window + timedelta(days=3, hours=15)
    add(db, window + timedelta(days=5, hours=14), title_en="Saturday", title_es="Sábado")
    add(db, window + timedelta(days=4, hours=18), title_en="Friday evening")
    add(db, window + timedelta(days=4, hours=10), title_en="Friday morning")
    add(db, thursday + timedelta(hours=1), title_en="Thursday")
    client.app.dependency_overrides[now_utc] = lambda: thursday.astimezone(UTC)
    try:
        answer = client.get("/api/v1/events", params={"when": "este fin de semana", "lang": "es"})
        assert titles(answer) == ["Friday evening", "Sábado"]
        assert answer.json()["window"]["key"] == "weekend" and answer.json()["window"]["label"] == "este fin de semana"
        assert answer.json()["window"]["start"] == (window + timedelta(days=4, hours=17)).isoformat()
        assert titles(client.get("/api/v1/events", params={"when": "tomorrow"})) == ["Friday morning", "Friday evening"]
        assert titles(client.get("/api/v1/events", params={"when": "anything today?"})) == ["Thursday"]
        assert titles(client.get("/api/v1/events", params={"when": "el sábado", "near": "Englewood"})) == ["Saturday"]
        assert client.get("/api/v1/events", params={"when": "this weekend"}).json()["window"]["label"] == "this weekend"
    finally:
        client.app.dependency_overrides.pop(now_utc, None)


@pytest.mark.parametrize(
    ("params", "where", "says"),
    [
        ({"near": "Gotham"}, "near", "We don't know the place"),
        ({"when": "someday"}, "when", "We don't understand this time"),
        ({"when": "today", "from": "2030-01-01"}, "when", "either when or from/to"),
        ({"from": "next tuesday"}, "from", "ISO 8601"),
        ({"from": "2030-01-02", "to": "2030-01-01"}, "to", "must end after it starts"),
        ({"from": "2030-01-01", "to": "2032-01-01"}, "to", "at most 366 days"),
        ({"from": "9999-12-31T23:00-06:00"}, "from", "between the years 2000 and 2100"),
        ({"to": "0001-01-01"}, "to", "between the years 2000 and 2100"),
        ({"audience": "toddlers"}, "audience", ""),
        ({"kind": "party"}, "kind", ""),
        ({"language": "xx"}, "language", ""),
        ({"lang": "fr"}, "lang", ""),
        ({"limit": "0"}, "limit", ""),
    ],
)
def test_bad_queries_get_a_422_naming_the_parameter(client, database_settings, params, where, says):
    answer = client.get("/api/v1/events", params=params)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == ["query", where] and says in error["msg"]


def test_a_date_without_an_offset_is_chicagos(client, database_settings, db, window):
    add(db, window + timedelta(hours=23, minutes=30), hours=1, title_en="Late Monday")
    day = window.date().isoformat()
    assert titles(get_events(client, window)) == ["Late Monday"]
    # A day in Chicago, not in UTC: 11:30 pm Chicago time is the next day in UTC, and still this day here.
    answer = client.get("/api/v1/events", params={"from": day, "to": (window.date() + timedelta(days=1)).isoformat()})
    assert titles(answer) == ["Late Monday"]
    assert answer.json()["window"]["start"] == window.isoformat()


# --- the migration ---------------------------------------------------------------------------------------------


def test_the_migration_adds_and_removes_the_events_table(empty_database):
    url = empty_database
    upgrade(url, "0007")
    engine = make_engine(url)
    assert "community_events" not in inspect(engine).get_table_names()
    engine.dispose()

    upgrade(url, "0008")
    engine = make_engine(url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0008"
    tables = inspect(engine)
    assert {c["name"] for c in tables.get_columns("community_events")} == {
        "id", "title_en", "title_es", "description_en", "description_es", "kind", "starts_at", "ends_at", "all_day",
        "community_area", "address", "latitude", "longitude", "audiences", "languages", "source", "ical_uid",
        "recurrence_id", "created_by", "updated_by", "created_at", "updated_at",
    }  # fmt: skip
    assert {tuple(u["column_names"]) for u in tables.get_unique_constraints("community_events")} == {
        ("source", "ical_uid", "recurrence_id")
    }
    sessions = make_sessionmaker(engine)
    start = datetime(2030, 1, 5, 14, tzinfo=chicago())
    with sessions() as session:
        event = add(session, start, title_en="After the migration")
        assert (event.source, event.recurrence_id, event.created_at is not None) == ("console", "", True)
        # The database refuses what the schema never lets through, whoever writes.
        for wrong in ({"kind": "party"}, {"community_area": 78}, {"ends_at": start - timedelta(hours=1)}):
            values = {"title_en": "x", "kind": "event", "starts_at": start, "ends_at": start + timedelta(hours=1),
                      "community_area": 68, "audiences": [], "languages": [], **wrong}  # fmt: skip
            session.add(CommunityEvent(**values))
            with pytest.raises(IntegrityError):
                session.flush()
            session.rollback()
    engine.dispose()

    downgrade(url, "0007")
    engine = make_engine(url)
    assert "community_events" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("select count(*) from staff_users")).scalar_one() == 0
    engine.dispose()


def test_import_without_a_default_area_never_guesses():
    """A LOCATION that names two areas, a ZIP code shared by two, or an area its ZIP code contradicts, is not placed."""
    feed = ics(
        "UID:two@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nLOCATION:Pilsen\\, Little Village",
        "UID:zip@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nLOCATION:3700 W 26th St\\, 60623",
        "UID:one@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nLOCATION:1 N State\\, IL 60602",
        "UID:both@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nLOCATION:Englewood\\, IL 60602",
        "UID:agree@x\nSUMMARY:x\nDTSTART:20261101T100000Z\nDTEND:20261101T110000Z\nLOCATION:Little Village\\, 60623",
    )
    parsed = parse_feed(feed, now=NOW, defaults=Defaults())
    assert [(o.uid, o.fields.community_area) for o in parsed.occurrences] == [("one@x", 32), ("agree@x", 30)]
    assert sorted(s.uid for s in parsed.skipped) == ["both@x", "two@x", "zip@x"]

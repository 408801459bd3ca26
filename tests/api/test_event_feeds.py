"""Partners' calendar feeds imported on a schedule, as `make run` (the `events` process) and the stack (the
`event-import` service) run it: `python -m api.events watch`, a process of its own against the session's migrated
database (SQLite and PostgreSQL), with feeds in files and over HTTP (tests/local_server.py). Each test's feeds have
sources of their own, so the shared database's other events are not in the way.

The feeds are tests/events_feed.py's, written relative to now (seven upcoming events): the process imports at the
real time, and so do these tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.core.settings import EventFeedSettings, SettingsProblem, load_settings
from api.db.models import AuditEntry, CommunityEvent
from api.event_feeds import defaults_of, feed_name
from api.events import Defaults
from tests.events_feed import write_feed
from tests.local_server import LocalServer
from tests.stack import wait_for

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# An event that says nothing of its place: only a feed's area_default places it.
PLACELESS = """BEGIN:VEVENT
UID:placeless@partners.example
SUMMARY:Game night
DTSTART:{start}
DTEND:{end}
END:VEVENT
"""


def feed_file(path: Path, *, placeless: bool = False) -> Path:
    """tests/events_feed.py's seven events from now on; with `placeless`, an eighth that gives no place."""
    write_feed(path, datetime.now(UTC))
    if placeless:
        text = path.read_text(encoding="utf-8")
        day = datetime.now(UTC).strftime("%Y%m%d")
        event = PLACELESS.format(start=f"{day}T235500Z", end=f"{day}T235900Z").replace("\n", "\r\n")
        path.write_text(text.replace("END:VCALENDAR", event + "END:VCALENDAR"), encoding="utf-8")
    return path


class FeedSite:
    """Partners' feeds over HTTP: a path serves a file, read at each request (an edit shows in the next round); any
    other path is 404. `delay_s` holds every answer back; `requests` are the paths asked for."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.delay_s = 0.0
        self.requests: list[str] = []

    def __enter__(self) -> FeedSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                time.sleep(site.delay_s)
                path = site.files.get(self.path)
                if path is None:
                    self.send_error(404)
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = LocalServer(Handler).__enter__()
        self.url = self.server.url
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with FeedSite() as feeds:
        yield feeds


def private_path() -> str:
    """A private calendar link's path: its secret must never reach a log."""
    return f"/calendar/ical/partner/private-{uuid.uuid4().hex}/basic.ics"


def watch_env(tmp_path: Path, database_url: str, feeds: list[dict] | str, **changes: str) -> dict[str, str]:
    # None of the developer's settings: only what the test gives (and no .env: the processes run in tmp_path).
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("NAVIGATOR_", "TWILIO_"))}
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        "NAVIGATOR_DATABASE_URL": database_url,
        "NAVIGATOR_API_LOG_FORMAT": "text",
        "NAVIGATOR_EVENT_FEEDS": feeds if isinstance(feeds, str) else json.dumps(feeds),
        "NAVIGATOR_EVENT_IMPORT_HEARTBEAT": str(tmp_path / "event-import.heartbeat"),
        **changes,
    }


def watch(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "api.events", "watch", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def start(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "api.events", "watch"], cwd=cwd, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT
    )


def rows(db, source: str) -> list[CommunityEvent]:
    db.expire_all()
    query = select(CommunityEvent).where(CommunityEvent.source == source).order_by(CommunityEvent.id)
    return list(db.scalars(query))


def audits(db, source: str) -> int:
    query = select(func.count()).where(AuditEntry.action == "import_events", AuditEntry.detail.like(f"% from {source}"))
    return db.scalar(query)


def lines_naming(log: str, text: str) -> list[str]:
    return [line for line in log.splitlines() if text in line]


def test_one_round_imports_a_file_and_a_url_and_the_next_changes_nothing(database_settings, db, tmp_path, site):
    run = uuid.uuid4().hex[:8]
    in_file, by_url = f"Southwest partners {run}", f"Toman Library {run}"
    path = private_path()
    site.files[path] = feed_file(tmp_path / "toman.ics")
    feeds = [
        # The import command's options, as settings: every event safe-space hours, the placeless one in Englewood.
        {"url": str(feed_file(tmp_path / "southwest.ics", placeless=True)), "source": in_file,
         "area_default": "Englewood", "languages_default": "es", "kind_default": "safe_space", "days": 30},
        {"url": site.url + path, "source": by_url},
    ]  # fmt: skip
    env = watch_env(tmp_path, database_settings.database_url, feeds)

    first = watch(env, tmp_path, "--once")
    assert first.returncode == 0, first.stderr
    southwest, toman = rows(db, in_file), rows(db, by_url)
    assert len(southwest) == 8 and len(toman) == 7
    assert {r.kind for r in southwest} == {"safe_space"}
    assert sorted(r.kind for r in toman).count("safe_space") == 1  # only the one the feed says (Safe space)
    placeless = [r for r in southwest if r.ical_uid == "placeless@partners.example"]
    assert [(r.community_area, r.languages) for r in placeless] == [(68, ["es"])]
    assert lines_naming(first.stderr, f"events from {in_file}: new: 8, changed: 0, unchanged: 0,")
    assert lines_naming(first.stderr, f"events from {by_url}: new: 7, changed: 0, unchanged: 0,")
    assert "events: 2 of 2 feeds imported" in first.stderr

    second = watch(env, tmp_path, "--once")
    assert second.returncode == 0, second.stderr
    # The same events, not new copies of them.
    assert [r.id for r in rows(db, in_file)] == [r.id for r in southwest]
    assert [r.id for r in rows(db, by_url)] == [r.id for r in toman]
    assert lines_naming(second.stderr, f"events from {in_file}: new: 0, changed: 0, unchanged: 8, removed")
    assert lines_naming(second.stderr, f"events from {by_url}: new: 0, changed: 0, unchanged: 7, removed")
    # One transaction and one audit entry per feed and round, as the command makes.
    assert (audits(db, in_file), audits(db, by_url)) == (2, 2)
    assert path not in first.stderr + second.stderr and "Traceback" not in first.stderr + second.stderr


def test_a_feed_that_cannot_be_had_is_one_line_and_the_others_are_imported(database_settings, db, tmp_path, site):
    run = uuid.uuid4().hex[:8]
    gone, fine = f"Gone partner {run}", f"Fine partner {run}"
    secret = private_path()
    feeds = [
        {"url": site.url + secret, "source": gone},  # answers 404
        {"url": f"webcal://127.0.0.1:9{secret}"},  # refused; no source, so named by its number and host
        {"url": str(feed_file(tmp_path / "fine.ics")), "source": fine},
    ]
    done = watch(watch_env(tmp_path, database_settings.database_url, feeds), tmp_path, "--once")

    assert done.returncode == 1
    assert len(rows(db, fine)) == 7 and rows(db, gone) == []
    named = lines_naming(done.stderr, gone)
    assert len(named) == 1 and named[0].endswith(f"events from {gone}: not imported: the feed answered HTTP 404")
    refused = lines_naming(done.stderr, "feed 2 (127.0.0.1)")
    assert len(refused) == 1 and refused[0].endswith("not imported: cannot fetch the feed: ConnectError")
    assert "events: 1 of 3 feeds imported" in done.stderr
    assert "Traceback" not in done.stderr and secret not in done.stderr and "private-" not in done.stderr
    assert audits(db, gone) == 0 and audits(db, fine) == 1


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("NAVIGATOR_EVENT_FEEDS", "https://partner.example.org/private-s3cr3t/events.ics", "not JSON"),
        ("NAVIGATOR_EVENT_FEEDS", '[{"source": "Toman Library"}]', "feed 1: url: Field required"),
        ("NAVIGATOR_EVENT_FEEDS", '[{"url": "https://x.example/private-s3cr3t/a.ics"}, {"url": "b.ics", '
         '"kind_default": "party"}]', "feed 2: kind_default: 'party' is not one of event, safe_space"),
        ("NAVIGATOR_EVENT_IMPORT_EVERY_H", "0", "greater than 0"),
    ],
    ids=["not-json", "no-url", "bad-kind", "every"],
)  # fmt: skip
def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_2(tmp_path, variable, value, says):
    env = watch_env(tmp_path, f"sqlite:///{tmp_path / 'none.db'}", "[]", **{variable: value})
    # The long-running process refuses too, rather than idling on a setting it cannot use; both at once, for time.
    runs = [
        subprocess.Popen([PYTHON, "-m", "api.events", "watch", *args], cwd=tmp_path, env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for args in (["--once"], [])
    ]  # fmt: skip
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 2, (run.args, err)
        assert out == "" and err.startswith(f"error: {variable}: ") and err.count("\n") == 1, err
        # Never the setting's text: a feed's URL may be a private calendar link.
        assert says in err and "Traceback" not in err and "s3cr3t" not in err
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize(
    ("feeds", "says"),
    [
        ('[{"url": "a.ics", "area_default": "Gotham"}]', "area_default: 'Gotham' is not a Chicago community area"),
        ('[{"url": "a.ics", "area_default": "60623"}]', "feed 1: area_default: ZIP 60623 spans 2 community areas"),
        ('[{"url": "a.ics", "languages_default": "en,xx"}]', "feed 1: languages_default: language 'xx' is not one of"),
        ('[{"url": "a.ics", "days": 0}]', "feed 1: days: must be from 1 to 366"),
        ('[{"url": "ftp://x.example/a.ics"}]', "feed 1: url: give a file path or an http://, https:// or webcal://"),
        ('[{"url": "a.ics", "source": "' + "x" * 501 + '"}]', "feed 1: source: String should have at most 500"),
        ('[{"url": "a.ics", "area-default": "Englewood"}]', "feed 1: area-default: Extra inputs are not permitted"),
        ('[{"url": "a.ics", "source": "A"}, {"url": "b.ics", "source": "A"}]', "feed 2 has the source of feed 1"),
        ('[{"url": "a.ics"}, {"url": "a.ics"}]', "feed 2 has the source of feed 1"),
        ('{"url": "a.ics"}', "not a list of feeds"),
        ('["a.ics"]', "feed 1: not an object"),
    ],
)  # fmt: skip
def test_each_feed_is_checked_by_the_import_commands_rules(monkeypatch, feeds, says):
    monkeypatch.setenv("NAVIGATOR_EVENT_FEEDS", feeds)
    with pytest.raises(SettingsProblem) as problem:
        load_settings(EventFeedSettings)
    assert str(problem.value).startswith("NAVIGATOR_EVENT_FEEDS: ") and says in str(problem.value)


def test_a_feeds_options_mean_what_the_commands_do(monkeypatch):
    monkeypatch.setenv("NAVIGATOR_EVENT_FEEDS", json.dumps([
        {"url": " webcal://calendar.example.org/feed.ics ", "area_default": "60607", "languages_default": ["ES", "en"],
         "kind_default": "safe_space", "days": 366},
        {"url": "partners/southwest.ics", "area_default": 68, "languages_default": "en, es,en"},
    ]))  # fmt: skip
    (settings,) = load_settings(EventFeedSettings)
    first, second = settings.feeds
    assert (first.url, first.area_default, first.languages_default, first.kind_default, first.days) == (
        "webcal://calendar.example.org/feed.ics", 28, ("es", "en"), "safe_space", 366
    )  # fmt: skip
    assert (second.area_default, second.languages_default, second.kind_default, second.days) == (
        68,
        ("en", "es"),
        None,
        None,
    )
    # Unset options are the command's own defaults; the log names a URL feed without a source by number and host.
    assert defaults_of(second) == Defaults(area=68, languages=("en", "es"))
    assert (feed_name(first, number=1), feed_name(second, number=2)) == (
        "feed 1 (calendar.example.org)", "partners/southwest.ics"
    )  # fmt: skip


def test_the_loop_picks_up_an_edited_feed_beats_and_stops_on_sigterm(database_settings, db, tmp_path, site):
    source = f"Weekly partner {uuid.uuid4().hex[:8]}"
    path = private_path()
    site.files[path] = feed = feed_file(tmp_path / "weekly.ics")
    heartbeat = tmp_path / "event-import.heartbeat"
    # A round every second or so (0.0003 h); the heartbeat at least as often.
    env = watch_env(tmp_path, database_settings.database_url, [{"url": site.url + path, "source": source}],
                    NAVIGATOR_EVENT_IMPORT_EVERY_H="0.0003")  # fmt: skip
    log = tmp_path / "event-import.log"
    process = start(env, tmp_path, log)
    try:
        wait_for(lambda: len(rows(db, source)) == 7, 60, "the first round")
        ids = [r.id for r in rows(db, source)]
        # Replaced whole, as a partner's server does: a round never reads half a file.
        edited = tmp_path / "weekly.ics.new"
        edited.write_text(feed.read_text(encoding="utf-8").replace("Teen Art Night", "Teen Art Jam"), encoding="utf-8")
        edited.replace(feed)
        wait_for(lambda: "Teen Art Jam" in {r.title_en for r in rows(db, source)}, 30, "the edit in a later round")
        assert [r.id for r in rows(db, source)] == ids  # changed in place, nothing added
        beaten = heartbeat.stat().st_mtime
        wait_for(lambda: heartbeat.stat().st_mtime > beaten, 10, "another heartbeat")
        assert watch(env, tmp_path, "--healthy").returncode == 0
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        code = process.wait(timeout=30)
    assert code == 0 and time.monotonic() - sent < 5
    text = log.read_text()
    assert lines_naming(text, f"events from {source}: new: 0, changed: 1, unchanged: 6, removed")
    assert "Traceback" not in text and path not in text
    # Stopped, the heartbeat ages, and the health check says so.
    old = time.time() - 3600
    os.utime(heartbeat, (old, old))
    assert watch(env, tmp_path, "--healthy").returncode == 1


def test_sigterm_stops_it_between_two_feeds(database_settings, db, tmp_path, site):
    run = uuid.uuid4().hex[:8]
    slow, next_one = f"Slow partner {run}", f"Next partner {run}"
    site.files["/slow.ics"] = feed_file(tmp_path / "slow.ics")
    site.delay_s = 2  # SIGTERM comes while the first feed is being fetched
    feeds = [
        {"url": f"{site.url}/slow.ics", "source": slow},
        {"url": str(feed_file(tmp_path / "next.ics")), "source": next_one},
    ]
    log = tmp_path / "event-import.log"
    process = start(watch_env(tmp_path, database_settings.database_url, feeds), tmp_path, log)
    try:
        wait_for(lambda: site.requests, 60, "the first feed's fetch")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    # The feed under way is imported whole; the next one is not begun.
    assert len(rows(db, slow)) == 7 and rows(db, next_one) == []
    assert "events: 1 of 2 feeds imported; stopped" in log.read_text()


def test_without_feeds_it_idles_saying_why_once_and_keeps_beating(tmp_path):
    database = tmp_path / "navigator.db"
    heartbeat = tmp_path / "event-import.heartbeat"
    env = watch_env(tmp_path, f"sqlite:///{database}", "[]", NAVIGATOR_EVENT_IMPORT_EVERY_H="0.0003")
    log = tmp_path / "event-import.log"
    process = start(env, tmp_path, log)
    try:
        wait_for(heartbeat.exists, 60, "the first heartbeat")
        first = heartbeat.stat().st_mtime
        wait_for(lambda: heartbeat.stat().st_mtime > first, 10, "another heartbeat")
        assert watch(env, tmp_path, "--healthy").returncode == 0
        assert process.poll() is None  # idle, not ended: `make run` stops every process when one ends
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    said = lines_naming(log.read_text(), "no feeds to import")
    assert len(said) == 1 and said[0].endswith("events: no feeds to import: set NAVIGATOR_EVENT_FEEDS (docs/events.md)")
    assert not database.exists()  # idle costs nothing, not even a database connection
    once = watch(env, tmp_path, "--once")
    assert (once.returncode, once.stderr) == (2, "NAVIGATOR_EVENT_FEEDS is empty: no feeds to import\n")

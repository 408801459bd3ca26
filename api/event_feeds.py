"""Partners' calendar feeds imported on a schedule: the Procfile's `events` process, the stack's `event-import` service
(docs/events.md).

    python -m api.events watch             # every NAVIGATOR_EVENT_IMPORT_EVERY_H hours, import every feed
    python -m api.events watch --once      # one round, then exit: 0 when every feed was imported, else 1
    python -m api.events watch --healthy   # exit 0 while the running import's loop is turning (health check)

A round imports each feed of NAVIGATOR_EVENT_FEEDS in turn through run_import, as `python -m api.events import` does:
one transaction and one audit entry per feed. A feed that cannot be imported (unreachable, not iCalendar) is one log
line, and the other feeds are imported all the same. Logs name a feed by its source, and never by a URL it was given
no source for: a private calendar link holds its secret in the URL. Without feeds the process stays up and idle,
saying so once. SIGTERM (docker stop, Ctrl-C in `make run`) stops it between two feeds.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from api.core.heartbeat import beat, fresh
from api.core.logging import configure_logging
from api.core.settings import (
    ApiSettings,
    DatabaseSettings,
    EventFeed,
    EventFeedSettings,
    SettingsProblem,
    load_settings,
)
from api.events import HORIZON_DAYS, DatabaseUnusable, Defaults, FeedError, open_database, run_import, url_to_fetch

log = logging.getLogger("navigator.events")
# The heartbeat is touched this often while the process waits: a day between rounds must still show a live loop.
BEAT_EVERY_S = 60.0
# The longest a feed may take between two beats: reads of 30 s at most, parsing up to 10 MB, one transaction.
FEED_ALLOWANCE_S = 300.0
# The database not there yet (the api migrates it as it starts) or down: try again this soon, fetching nothing.
DATABASE_RETRY_S = 10.0
# Skipped events named in the log per feed and round; `python -m api.events import ... --dry-run` lists them all.
SKIPPED_SHOWN = 5


@dataclass
class Round:
    """One round over the feeds: the names of those imported and of those not."""

    imported: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    database_unusable: bool = False
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        return not (self.failed or self.database_unusable or self.interrupted)


def feed_name(feed: EventFeed, *, number: int) -> str:
    """How the log names a feed: its source; else a file's path; else its number and host, never its URL."""
    if feed.source:
        return feed.source
    url = url_to_fetch(feed.url)
    if url is None:
        return feed.url
    return f"feed {number} ({urlsplit(url).hostname or 'no host'})"


def defaults_of(feed: EventFeed) -> Defaults:
    """The import's defaults, with the feed's options where it gives them."""
    given = {"area": feed.area_default, "languages": feed.languages_default, "kind": feed.kind_default}
    return Defaults(**{name: value for name, value in given.items() if value is not None})


def import_one(feed: EventFeed, *, name: str, database_url: str) -> bool:
    """Import one feed as `python -m api.events import` does; log one line of counts, or one line saying why not.
    DatabaseUnusable goes to the caller: no other feed can be imported either."""
    try:
        report = run_import(
            database_url=database_url,
            location=feed.url,
            source=feed.source,
            defaults=defaults_of(feed),
            days=feed.days or HORIZON_DAYS,
        )
    except DatabaseUnusable:
        raise
    except FeedError as exc:
        # Its messages name a file's path, never a URL (api/events.py read_feed), and a database URL without password.
        log.error("events from %s: not imported: %s", name, exc)
        return False
    except Exception as exc:
        # A fault of ours, not the feed's: the other feeds still go in. The command shows the traceback.
        log.error(
            "events from %s: not imported: %s (python -m api.events import shows where)", name, type(exc).__name__
        )
        return False
    log.info(
        "events from %s: new: %d, changed: %d, unchanged: %d, removed (no longer in the feed): %d, "
        "cancelled in the feed: %d, skipped: %d",
        name, report.created, report.updated, report.unchanged, report.removed, report.cancelled, len(report.skipped),
    )  # fmt: skip
    for skipped in report.skipped[:SKIPPED_SHOWN]:
        log.warning("events from %s: skipped %s: %s", name, skipped.uid[:120], skipped.reason)
    if len(report.skipped) > SKIPPED_SHOWN:
        log.warning(
            "events from %s: %d more skipped (python -m api.events import --dry-run lists them)",
            name,
            len(report.skipped) - SKIPPED_SHOWN,
        )
    return True


def import_round(feeds: tuple[EventFeed, ...], *, database_url: str, heartbeat: str, stop: threading.Event) -> Round:
    """Each feed in turn, until `stop` is set; the heartbeat is touched after each."""
    done = Round()
    try:
        # Checked first, so that a database not there yet costs the partners no fetch.
        engine, _ = open_database(database_url)
        engine.dispose()
    except DatabaseUnusable as exc:
        log.error("events: no feed imported: %s", exc)
        done.database_unusable = True
        return done
    for number, feed in enumerate(feeds, 1):
        if stop.is_set():
            done.interrupted = True
            break
        name = feed_name(feed, number=number)
        try:
            imported = import_one(feed, name=name, database_url=database_url)
        except DatabaseUnusable as exc:
            log.error("events: feeds from %s on not imported: %s", name, exc)
            done.database_unusable = True
            break
        (done.imported if imported else done.failed).append(name)
        beat(heartbeat)
    return done


def beat_every_s(settings: EventFeedSettings) -> float:
    return min(settings.every_s, BEAT_EVERY_S)


def healthy(settings: EventFeedSettings) -> bool:
    """A heartbeat no older than two beats and a feed's import: a hung loop or a dead process fails the check."""
    return fresh(settings.import_heartbeat, max_age_s=2 * beat_every_s(settings) + FEED_ALLOWANCE_S)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _wait(seconds: float, *, stop: threading.Event, settings: EventFeedSettings) -> None:
    """Wait for the next round (or `stop`), touching the heartbeat all along."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        stop.wait(min(left, beat_every_s(settings)))
        beat(settings.import_heartbeat)


def serve(settings: EventFeedSettings, *, database_url: str, once: bool) -> int:
    stop = _stop_on_signals()
    feeds = settings.feeds
    log.info("events: %d feeds, imported every %g h", len(feeds), settings.import_every_h)
    while True:
        done = import_round(feeds, database_url=database_url, heartbeat=settings.import_heartbeat, stop=stop)
        beat(settings.import_heartbeat)
        summary = f"events: {len(done.imported)} of {len(feeds)} feeds imported"
        if once:
            log.info("%s", summary)
            return 0 if done.complete else 1
        if stop.is_set():
            log.info("%s; stopped", summary)
            return 0
        wait = min(DATABASE_RETRY_S, settings.every_s) if done.database_unusable else settings.every_s
        log.info("%s; the next round in %s", summary, f"{wait:.0f} s" if wait < 3600 else f"{wait / 3600:g} h")
        _wait(wait, stop=stop, settings=settings)
        if stop.is_set():
            return 0


def idle(settings: EventFeedSettings) -> None:
    """Stay up, idle, so `make run` (which stops everything when one process ends) keeps the others."""
    log.warning("events: no feeds to import: set NAVIGATOR_EVENT_FEEDS (docs/events.md)")
    stop = _stop_on_signals()
    while not stop.is_set():
        beat(settings.import_heartbeat)
        stop.wait(beat_every_s(settings))


def watch_command(*, once: bool, healthy_only: bool) -> int:
    """`python -m api.events watch [--once | --healthy]`: its exit code."""
    api = ApiSettings()
    configure_logging(api.log_format, api.log_level)
    try:
        settings, database = load_settings(EventFeedSettings, DatabaseSettings)
    except SettingsProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if healthy_only:
        return 0 if healthy(settings) else 1
    if not settings.feeds:
        if once:
            print("NAVIGATOR_EVENT_FEEDS is empty: no feeds to import", file=sys.stderr)
            return 2
        idle(settings)
        return 0
    return serve(settings, database_url=database.database_url, once=once)

"""Filing hazard reports with 311 (Open311 GeoReport v2), run by `make run` and by the production stack:

    python -m api.hazard_filing              # every NAVIGATOR_OPEN311_RETRY_EVERY_S, file what is queued
    python -m api.hazard_filing --once       # one pass, then exit
    python -m api.hazard_filing --healthy    # exit 0 while the running filer's loop is turning (health check)
    python -m api.hazard_filing services     # the city's service codes, to set NAVIGATOR_OPEN311_SERVICE_CODES

The api files a new report at once, so the resident gets the city's request number in the same conversation. When the
city does not answer, the report stays queued and this process files it when the city is back: nothing is lost, and
no report is filed twice (api/crud/hazards.py). Logs hold counts and error classes, never an address or a number.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from nacl.exceptions import CryptoError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api.core.contact_box import decrypt
from api.core.hazards import description_for_311
from api.core.heartbeat import beat, fresh
from api.core.logging import configure_logging
from api.core.open311 import Open311, Open311Refused, Open311Unavailable
from api.core.settings import ApiSettings, DatabaseSettings, Open311Settings, SettingsProblem, load_settings
from api.crud.hazards import claim, due, filed, refused, release_stale_claims, requeue
from api.db.models import HazardReport
from api.db.session import make_engine, make_sessionmaker

log = logging.getLogger("navigator.hazards")
# How far back the city's requests are searched for a report whose filing answer was lost.
LOOK_BACK = timedelta(minutes=10)


def file_one(
    session: Session, report: HazardReport, *, city: Open311, settings: Open311Settings, contact_key: str,
    now: datetime,
) -> str:  # fmt: skip
    """File one queued report; returns its state after (filed, queued, refused, or filing when another has it)."""
    code = settings.service_codes.get(report.hazard_type)
    if not code:
        # A configuration gap, not the resident's: the report waits, and the operator sees why (docs/hazards.md).
        report.last_error = f"no service code set for {report.hazard_type}"
        session.commit()
        return "queued"
    if not claim(session, report=report, now=now):
        return report.state
    try:
        if report.attempts:
            # An earlier filing's answer was lost: the city may have it already.
            since = report.created_at.replace(tzinfo=report.created_at.tzinfo or UTC) - LOOK_BACK
            marker = f"[{report.code}]"
            found = next((r for r in city.find(service_code=code, since=since) if marker in r.description), None)
            if found is not None:
                filed(session, report=report, service_request_id=found.service_request_id, now=now)
                return "filed"
        request_id = city.file(
            service_code=code,
            description=description_for_311(report.hazard_type, report.code),
            address=report.location_text,
            lat=report.latitude,
            lon=report.longitude,
            media_url=report.media_url or "",
            contact=_contact(report, contact_key),
        )
    except Open311Unavailable as exc:
        requeue(session, report=report, error=str(exc), now=now, first_wait=timedelta(seconds=settings.retry_every_s))
        return "queued"
    except Open311Refused as exc:
        refused(session, report=report, error=str(exc))
        log.warning("hazard report refused by 311: %s", str(exc)[:80])
        return "refused"
    filed(session, report=report, service_request_id=request_id, now=now)
    return "filed"


def _contact(report: HazardReport, key: str) -> dict[str, str] | None:
    """The resident's number, only when they asked 311 to contact them."""
    if report.contact_encrypted is None:
        return None
    try:
        return {"phone": decrypt(report.contact_encrypted, key)}
    except (CryptoError, ValueError, TypeError):
        return None  # anonymous rather than not filed


@dataclass
class Pass:
    """One pass over the queue, in counts: each report's state after it."""

    states: Counter[str] = field(default_factory=Counter)
    released: int = 0


def file_queued(
    sessions: sessionmaker[Session], *, city: Open311, settings: Open311Settings, contact_key: str,
    now: datetime | None = None,
) -> Pass:  # fmt: skip
    now = now or datetime.now(UTC)
    done = Pass()
    with sessions() as session:
        # A filing is two calls at most, each bounded by the timeout: a claim older than that and a margin is dead.
        stale = timedelta(seconds=4 * settings.timeout_s + 30)
        done.released = release_stale_claims(session, now=now, older_than=stale)
        for report in due(session, now=now):
            done.states[file_one(session, report, city=city, settings=settings, contact_key=contact_key, now=now)] += 1
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api.hazard_filing", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", nargs="?", choices=["services"], help="list the city's Open311 services and exit")
    parser.add_argument("--once", action="store_true", help="one pass over the queue, then exit")
    parser.add_argument("--healthy", action="store_true", help="exit 0 if the running filer's loop is turning")
    args = parser.parse_args(argv)
    api = ApiSettings()
    configure_logging(api.log_format, api.log_level)
    try:
        settings, database = load_settings(Open311Settings, DatabaseSettings)
    except SettingsProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.healthy:
        return 0 if fresh(settings.heartbeat, max_age_s=2 * settings.retry_every_s + 60) else 1
    if not settings.url:
        print("NAVIGATOR_OPEN311_URL is not set: hazard reports stay queued", file=sys.stderr)
        if args.once or args.what:
            return 2
        _idle(settings)
        return 0
    city = Open311(settings.url, settings.api_key.get_secret_value(), jurisdiction_id=settings.jurisdiction_id,
                   timeout_s=settings.timeout_s)  # fmt: skip
    try:
        if args.what == "services":
            for service in city.services():
                print(f"{service.get('service_code')}\t{service.get('service_name')}")
            return 0
        return _serve(settings, database, city, once=args.once)
    except (Open311Unavailable, Open311Refused) as exc:
        print(f"error: 311 answered: {exc}", file=sys.stderr)
        return 2
    finally:
        city.close()


def _serve(settings: Open311Settings, database: DatabaseSettings, city: Open311, *, once: bool) -> int:
    engine = make_engine(database.database_url)
    sessions = make_sessionmaker(engine)
    stop = _stop_on_signals()
    try:
        while not stop.is_set():
            wait = settings.retry_every_s
            try:
                done = file_queued(sessions, city=city, settings=settings,
                                   contact_key=database.referral_contact_key.get_secret_value())  # fmt: skip
                log.info("hazard reports: %d filed, %d still queued, %d refused", done.states["filed"],
                         done.states["queued"], done.states["refused"])  # fmt: skip
            except DBAPIError as exc:
                log.error("hazard reports: database unavailable (%s); trying again", type(exc.orig).__name__)
                wait = min(wait, 10)
            beat(settings.heartbeat)
            if once:
                break
            stop.wait(wait)
    finally:
        engine.dispose()
    return 0


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _idle(settings: Open311Settings) -> None:
    """Stay up, idle, so `make run` (which stops everything when one process ends) keeps the others."""
    stop = _stop_on_signals()
    while not stop.is_set():
        beat(settings.heartbeat)
        stop.wait(settings.retry_every_s)


if __name__ == "__main__":
    sys.exit(main())

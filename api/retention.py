"""Retention, run daily by the operator (docs/operations.md):

    python -m api.retention [--days N] [--dry-run] [--tracker-url URL] [--sms-state-url URL]

Erases the contact details of referrals closed more than N days ago (NAVIGATOR_RETENTION_DAYS, 180 by default),
deletes the bot's conversations whose last message is older than that, and forgets the SMS channel's handled
MessageSids as old (never its opt-outs). Prints counts only; exits 2 with a one-line error when a store cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from api.core.settings import DatabaseSettings, RetentionSettings, SettingsProblem, load_settings
from api.crud.retention import delete_old_message_sids, delete_stale_conversations, erase_closed_referrals
from api.db.session import make_engine, make_sessionmaker


class RetentionError(RuntimeError):
    """Something the operator must fix (a URL, a path, a database that is down); said in one line."""


@dataclass(frozen=True)
class Erased:
    referrals: int
    conversations: int
    # None: the SMS channel has kept nothing yet (it makes its store on the first text message).
    message_sids: int | None


def store_url(value: str) -> str:
    """A SQLAlchemy URL, or a SQLite file path as bot/endpoints.yml takes it."""
    return value if "://" in value else f"sqlite:///{value}"


def _open(url: str, *, what: str, table: str, optional: bool = False) -> Engine | None:
    """An engine on an existing store that has `table`; None for a missing optional store. Never creates a file."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: a malformed URL may still hold a password.
        raise RetentionError(f"the {what} URL is not a database URL") from None
    if parsed.drivername == "postgresql":
        # The bot's URLs say postgresql://; this environment has psycopg 3, not SQLAlchemy's default psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    shown = parsed.render_as_string(hide_password=True)
    # A SQLite URL to a file that is not there is a wrong path: SQLite would create an empty database and report
    # nothing to erase. (The SMS channel makes its store on the first text message: missing is normal there.)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        if optional:
            return None
        raise RetentionError(f"no {what} at {shown}: no such file (run from the checkout, or give a URL)")
    try:
        engine = make_engine(parsed.render_as_string(hide_password=False))
    except (ArgumentError, ImportError) as exc:
        raise RetentionError(f"cannot use the {what} at {shown}: {exc}") from None
    try:
        found = sa.inspect(engine).has_table(table)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise RetentionError(f"cannot reach the {what} at {shown}: {_first_line(exc)}") from None
    if not found:
        engine.dispose()
        if optional:
            return None
        hint = "run python -m api.db.migrate" if table == "referrals" else f"is this the {what}?"
        raise RetentionError(f"the {what} at {shown} has no {table} table: {hint}")
    return engine


def _first_line(exc: SQLAlchemyError) -> str:
    # The driver's own message without SQLAlchemy's statement and link lines.
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def apply_retention(
    *, database_url: str, tracker_url: str, sms_state_url: str, days: int, dry_run: bool = False
) -> Erased:
    """Erase (or, dry_run, count) what is older than `days` in the three stores. Every store is opened and checked
    before anything is changed, so a wrong URL changes nothing."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    with ExitStack() as opened:
        referrals_db = _open(database_url, what="referrals database", table="referrals")
        opened.callback(referrals_db.dispose)
        tracker = _open(tracker_url, what="tracker store", table="events")
        opened.callback(tracker.dispose)
        sms = _open(sms_state_url, what="SMS state store", table="sms_handled", optional=True)
        if sms is not None:
            opened.callback(sms.dispose)
        step = "referrals database"
        try:
            with make_sessionmaker(referrals_db)() as session:
                referrals = erase_closed_referrals(session, closed_before=cutoff, days=days, dry_run=dry_run)
            step = "tracker store"
            with tracker.begin() as connection:
                conversations = delete_stale_conversations(
                    connection, last_event_before=cutoff.timestamp(), dry_run=dry_run
                )
            message_sids = None
            if sms is not None:
                step = "SMS state store"
                with sms.begin() as connection:
                    message_sids = delete_old_message_sids(
                        connection, received_before=cutoff.timestamp(), dry_run=dry_run
                    )
        except SQLAlchemyError as exc:
            raise RetentionError(f"the {step} failed: {_first_line(exc)}") from None
    return Erased(referrals=referrals, conversations=conversations, message_sids=message_sids)


def report(erased: Erased, *, days: int, dry_run: bool) -> str:
    """Counts only: no codes, no conversation ids, no numbers."""
    erase, delete = ("to erase", "to delete") if dry_run else ("erased", "deleted")
    sids = "no SMS store yet" if erased.message_sids is None else f"{erased.message_sids} (opt-outs kept)"
    lines = [
        f"referrals closed over {days} days ago, contact details {erase}: {erased.referrals}",
        f"conversations idle over {days} days, {delete}: {erased.conversations}",
        f"SMS message ids over {days} days old, {delete}: {sids}",
    ]
    if dry_run:
        lines.append("dry run: nothing was changed")
    return "\n".join(lines)


def _positive(value: str) -> int:
    days = int(value)
    if days < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api.retention",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--days", type=_positive, help="keep this many days (default NAVIGATOR_RETENTION_DAYS, 180)")
    parser.add_argument("--dry-run", action="store_true", help="count what would be erased; change nothing")
    parser.add_argument(
        "--tracker-url",
        help="the bot's tracker store: a SQLAlchemy URL or a SQLite file "
        "(default NAVIGATOR_TRACKER_URL, else NAVIGATOR_TRACKER_DB); prefer the variable when it holds a password",
    )
    parser.add_argument("--sms-state-url", help="the SMS channel's store (default NAVIGATOR_SMS_STATE_URL)")
    args = parser.parse_args(argv)

    try:
        settings, database = load_settings(RetentionSettings, DatabaseSettings)
    except SettingsProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    days = args.days or settings.retention_days
    try:
        erased = apply_retention(
            database_url=database.database_url,
            tracker_url=store_url(args.tracker_url or settings.tracker_store_url),
            sms_state_url=store_url(args.sms_state_url or settings.sms_state_url),
            days=days,
            dry_run=args.dry_run,
        )
    except RetentionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(erased, days=days, dry_run=args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())

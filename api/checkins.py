"""Follow-up check-ins, run by `make run` and by the production stack:

    python -m api.checkins [--once | --healthy]

Every NAVIGATOR_CHECKIN_EVERY_S seconds, each referral whose resident chose to be texted and said it is safe gets,
NAVIGATOR_CHECKIN_AFTER_DAYS after it was made, "Did you get the help you needed? Reply 1 yes, 2 still need help,
3 stop", through Twilio's REST API:

- never outside NAVIGATOR_CHECKIN_SEND_HOURS on the Chicago clock (9:00 to 20:59): a round due at night waits;
- never to a number that texted STOP (the SMS channel's store) or that Twilio reports as opted out;
- at most once per referral and round: the round's row is claimed and committed before sending, so a restart, a
  missed run catching up or a second scheduler sends nothing twice (a send cut short is marked interrupted, not
  repeated); after a long outage only the latest due round goes out.

The answers arrive through the SMS channel (api/routes/checkins.py). Logs hold counts, never a number or a text.
Without Twilio's settings the process stays up and idle, saying what is missing, so `make run` runs it anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from nacl.exceptions import CryptoError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api.core.checkin_schedule import due_rounds, may_send_at
from api.core.checkin_texts import question
from api.core.contact_box import decrypt
from api.core.heartbeat import beat, fresh
from api.core.logging import configure_logging
from api.core.settings import ApiSettings, CheckinSettings, DatabaseSettings, SettingsProblem, load_settings
from api.crud.checkins import claim, claimed_rounds, eligible, finish, mark_interrupted, number_stopped
from api.db.models import Referral
from api.db.session import make_engine, make_sessionmaker
from bot.channels.privacy import sender_id
from bot.channels.sms_state import SmsState
from bot.channels.twilio_rest import TwilioRest

log = logging.getLogger("navigator.checkins")
# Twilio's "this number has opted out" (it answered STOP to Twilio itself): recorded like the channel's own STOP.
OPTED_OUT_AT_TWILIO = 21610
STATUS_PATH = "/api/v1/checkins/status"


@dataclass
class Run:
    """What one run did, in counts only."""

    quiet: bool = False
    sent: int = 0
    not_sent: int = 0
    opted_out: int = 0
    skipped: int = 0
    unreadable: int = 0
    interrupted: int = 0
    rounds: list[tuple[int, int]] = field(default_factory=list)  # (referral id, round) sent, for tests

    def summary(self) -> str:
        if self.quiet:
            return "outside the sending hours: nothing sent"
        return (
            f"{self.sent} sent, {self.not_sent} not sent, {self.opted_out} opted out, {self.skipped} skipped, "
            f"{self.unreadable} without a readable number, {self.interrupted} interrupted earlier"
        )


class Scheduler:
    def __init__(
        self,
        *,
        settings: CheckinSettings,
        sessions: sessionmaker[Session],
        contact_key: str,
        twilio: TwilioRest,
        opt_outs: SmsState,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.contact_key = contact_key
        self.twilio = twilio
        self.opt_outs = opt_outs
        base = settings.public_api_url.rstrip("/")
        self.status_callback = f"{base}{STATUS_PATH}" if base else ""

    async def run_once(self, now: datetime | None = None) -> Run:
        now = now or datetime.now(UTC)
        run = Run()
        settings = self.settings
        if not may_send_at(now, hours=settings.send_hours, zone=settings.checkin_timezone):
            run.quiet = True
            return run
        with self.sessions() as session:
            run.interrupted = mark_interrupted(session, now=now)
            first = min(settings.after_days)
            # Listed first: each round below commits, and a cursor must not stay open across commits.
            for referral in list(eligible(session, created_before=now - timedelta(days=first))):
                await self._one(session, referral, now=now, run=run)
        return run

    async def _one(self, session: Session, referral: Referral, *, now: datetime, run: Run) -> None:
        settings = self.settings
        referral_id = referral.id
        due = due_rounds(
            referral.created_at,
            now,
            after_days=settings.after_days,
            late_days=settings.checkin_late_days,
            claimed=claimed_rounds(session, referral_id=referral_id),
        )
        for round_ in due.skip:
            if claim(session, referral_id=referral_id, round_=round_, state="skipped"):
                run.skipped += 1
        if due.send is None:
            return
        language = referral.language
        try:
            phone = decrypt(referral.contact_encrypted, self.contact_key)
        except (CryptoError, ValueError, TypeError):
            # Another key than the api's (a restored backup?): nothing is claimed, so the round goes out once fixed.
            run.unreadable += 1
            return
        sender = sender_id(phone, settings.sender_id_key.get_secret_value())
        if await asyncio.to_thread(self.opt_outs.is_opted_out, sender):
            if claim(session, referral_id=referral_id, round_=due.send, state="opted_out", sender_id=sender):
                run.opted_out += 1
            return
        if number_stopped(session, sender_id=sender):
            if claim(session, referral_id=referral_id, round_=due.send, state="stopped", sender_id=sender):
                run.skipped += 1
            return
        row = claim(session, referral_id=referral_id, round_=due.send, state="sending", sender_id=sender)
        if row is None:
            return  # another scheduler claimed it a moment ago, and sends it
        outcome = await self.twilio.send_one(
            to=phone, sender=settings.sms_from_number, body=question(language), status_callback=self.status_callback
        )
        if outcome.accepted:
            finish(session, checkin=row, state="sent", twilio_sid=outcome.sid)
            run.sent += 1
            run.rounds.append((referral_id, due.send))
            return
        finish(session, checkin=row, state="not_sent")
        run.not_sent += 1
        if outcome.refused_code == OPTED_OUT_AT_TWILIO:
            await asyncio.to_thread(self.opt_outs.set_opted_out, sender, True)


def healthy(settings: CheckinSettings) -> bool:
    """A heartbeat no older than two runs and a minute: a hung loop or a dead process fails the health check."""
    return fresh(settings.checkin_heartbeat, max_age_s=2 * settings.checkin_every_s + 60)


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def serve(scheduler: Scheduler, *, every_s: float, once: bool) -> None:
    stop = stop_on_signals()
    while not stop.is_set():
        wait = every_s
        try:
            run = await scheduler.run_once()
            log.info("check-ins: %s", run.summary())
        except DBAPIError as exc:
            # The api migrates the database at start; until then, or while it is down, try again soon.
            log.error("check-ins: database unavailable (%s); trying again", type(exc.orig).__name__)
            wait = min(every_s, 10)
        beat(scheduler.settings.checkin_heartbeat)
        if once:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)


async def idle(reason: str, settings: CheckinSettings) -> None:
    """Stay up doing nothing, so `make run` (which stops everything when one process ends) keeps the others."""
    log.warning("check-ins are off: %s", reason)
    stop = stop_on_signals()
    while not stop.is_set():
        beat(settings.checkin_heartbeat)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.checkin_every_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api.checkins", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--once", action="store_true", help="one run, then exit (cron, or a catch-up by hand)")
    how.add_argument("--healthy", action="store_true", help="exit 0 if the running scheduler's loop is turning")
    args = parser.parse_args(argv)
    api = ApiSettings()
    configure_logging(api.log_format, api.log_level)
    try:
        settings, database = load_settings(CheckinSettings, DatabaseSettings)
    except SettingsProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.healthy:
        return 0 if healthy(settings) else 1
    missing = settings.missing()
    if not database.referral_contact_key.get_secret_value():
        missing.append("NAVIGATOR_REFERRAL_CONTACT_KEY")
    if missing:
        if args.once:
            print(f"check-ins are off until these are set: {', '.join(missing)}", file=sys.stderr)
            return 2
        asyncio.run(idle(f"set {', '.join(missing)}", settings))
        return 0
    return asyncio.run(_serve(settings, database, once=args.once))


async def _serve(settings: CheckinSettings, database: DatabaseSettings, *, once: bool) -> int:
    engine = make_engine(database.database_url)
    twilio = TwilioRest(
        settings.twilio_api_url, settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()
    )
    opt_outs = SmsState(settings.sms_state_url)
    scheduler = Scheduler(
        settings=settings,
        sessions=make_sessionmaker(engine),
        contact_key=database.referral_contact_key.get_secret_value(),
        twilio=twilio,
        opt_outs=opt_outs,
    )
    log.info("check-ins: every %.0f s, %s days after a referral", settings.checkin_every_s, settings.checkin_after_days)
    try:
        await serve(scheduler, every_s=settings.checkin_every_s, once=once)
    finally:
        await twilio.close()
        opt_outs.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

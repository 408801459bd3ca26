"""`python -m api.retention` on both databases, each store made from empty: the referrals database migrated with
Alembic, the bot's tracker table as Rasa's SQLTrackerStore makes it, the SMS channel's tables by its own code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.core.contact_box import decrypt, new_key
from api.core.settings import RetentionSettings
from api.crud.checkins import checkins_of, claim
from api.crud.referrals import change_status, create_referral
from api.db.migrate import upgrade
from api.db.models import AuditEntry, Referral, ReferralEvent
from api.db.session import make_engine, make_sessionmaker
from api.retention import RetentionError, apply_retention, main
from bot.channels.sms_state import SmsState, handled, opted_out
from tests.api.factories import referral_request
from tests.conftest import ROOT, postgres_schema

KEY = new_key()
DAY = 24 * 3600

# Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py), column for column: Rasa itself lives in .venv-bot.
tracker_metadata = sa.MetaData()
events = sa.Table(
    "events",
    tracker_metadata,
    sa.Column("id", sa.Integer, sa.Sequence("events_seq"), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@dataclass
class Stores:
    database_url: str
    tracker_url: str
    sms_state_url: str

    def run(self, days: int = 180, dry_run: bool = False):
        return apply_retention(
            database_url=self.database_url,
            tracker_url=self.tracker_url,
            sms_state_url=self.sms_state_url,
            days=days,
            dry_run=dry_run,
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path) -> Iterator[Stores]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            urls = [f"sqlite:///{tmp_path / name}" for name in ("navigator.db", "tracker.db", "sms-state.db")]
        else:
            urls = [stack.enter_context(postgres_schema()) for _ in range(3)]
            # The bot's own URLs say postgresql:// (no driver); the command must take them as they are.
            urls[1] = urls[1].replace("postgresql+psycopg://", "postgresql://")
        upgrade(urls[0])
        tracker = make_engine(urls[1].replace("postgresql://", "postgresql+psycopg://"))
        tracker_metadata.create_all(tracker)
        tracker.dispose()
        SmsState(urls[2]).close()  # the channel creates its tables on first use
        yield Stores(*urls)


@pytest.fixture
def db(stores) -> Iterator[Session]:
    engine = make_engine(stores.database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def referral(db, *, created: float, closed: float | None = None, status: str = "new") -> str:
    """A referral created `created` days ago and, if `closed`, closed that many days ago; returns its code."""
    made, _ = create_referral(
        db, idempotency_key=uuid.uuid4().hex, data=referral_request(first_name="Ana"), contact_key=KEY
    )
    if status != "new":
        change_status(db, referral=made, to_status=status, actor="staff:1")
    if closed is not None:
        change_status(db, referral=made, to_status="closed", actor="staff:1", outcome="served")
    db.execute(update(Referral).where(Referral.id == made.id).values(created_at=days_ago(created)))
    for event in made.history:
        at = closed if event.to_status == "closed" else created
        db.execute(update(ReferralEvent).where(ReferralEvent.id == event.id).values(at=days_ago(at)))
    db.commit()
    return made.code


def fetch(db, code: str) -> Referral:
    db.expire_all()
    return db.scalar(select(Referral).where(Referral.code == code))


def retention_audit(db) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.actor == "retention").order_by(AuditEntry.id)))


def add_events(stores: Stores, sender_id: str, *ages_in_days: float) -> None:
    engine = make_engine(stores.tracker_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for age in ages_in_days:
            conn.execute(
                events.insert().values(sender_id=sender_id, type_name="user", timestamp=time.time() - age * DAY)
            )
    engine.dispose()


def events_of(stores: Stores) -> dict[str, int]:
    engine = make_engine(stores.tracker_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(select(events.c.sender_id, func.count()).group_by(events.c.sender_id)).all()
    engine.dispose()
    return dict(rows)


def sms_rows(stores: Stores) -> tuple[set[str], set[str]]:
    engine = make_engine(stores.sms_state_url)
    with engine.connect() as conn:
        sids = set(conn.scalars(select(handled.c.message_sid)))
        opt_outs = set(conn.scalars(select(opted_out.c.sender_id)))
    engine.dispose()
    return sids, opt_outs


def test_long_closed_referrals_lose_their_contact_and_nothing_else_does(stores, db):
    old = referral(db, created=210, closed=200)
    # Created long ago, closed recently: the closing event counts, not created_at.
    recent = referral(db, created=400, closed=10)
    still_open = referral(db, created=400, status="assigned")
    for code in (old, recent):  # each was checked in on by text, to the number's keyed id
        claim(db, referral_id=fetch(db, code).id, round_=1, state="sent", sender_id="sms-" + code.lower())

    assert stores.run().referrals == 1

    erased = fetch(db, old)
    assert (erased.contact_encrypted, erased.first_name, erased.safe_times, erased.conversation_id) == (
        None,
        None,
        None,
        "",
    )
    # What the referral was about stays for the aggregate reports.
    assert (erased.needs, erased.community_area, erased.status, erased.outcome) == (
        ["food"],
        "SOUTH LAWNDALE",
        "closed",
        "served",
    )
    for code in (recent, still_open):
        kept = fetch(db, code)
        assert decrypt(kept.contact_encrypted, KEY) == "+17735550123"
        assert (kept.first_name, kept.safe_times) == ("Ana", "after 6 pm")
        assert kept.conversation_id.startswith("web-")
    # Its check-in no longer leads to the number either; the other referral's still answers.
    assert [c.sender_id for c in checkins_of(db, referral_id=erased.id)] == [""]
    assert [c.sender_id for c in checkins_of(db, referral_id=fetch(db, recent).id)] == ["sms-" + recent.lower()]
    entries = retention_audit(db)
    assert [(e.action, e.referral_code) for e in entries] == [("erase_contact", old)]
    assert "180 days" in entries[0].detail and "Ana" not in entries[0].detail

    # A second run finds nothing left to erase and records nothing more.
    assert stores.run().referrals == 0
    assert len(retention_audit(db)) == 1


def test_a_shorter_period_reaches_more_recently_closed_referrals(stores, db):
    ten_days = referral(db, created=30, closed=10)
    assert stores.run(days=30).referrals == 0
    assert stores.run(days=7).referrals == 1
    assert fetch(db, ten_days).contact_encrypted is None


def test_whole_stale_conversations_go_and_active_ones_stay_whole(stores):
    add_events(stores, "stale", 300, 250, 200)
    add_events(stores, "revived", 300, 250, 1)  # an old first event, but a message yesterday
    add_events(stores, "today", 0.01)

    assert stores.run().conversations == 1
    assert events_of(stores) == {"revived": 3, "today": 1}
    assert stores.run().conversations == 0


def test_old_message_sids_are_forgotten_but_opt_outs_never(stores):
    engine = make_engine(stores.sms_state_url)
    with engine.begin() as conn:
        conn.execute(handled.insert().values(message_sid="SM-old", received_at=time.time() - 200 * DAY))
        conn.execute(handled.insert().values(message_sid="SM-new", received_at=time.time() - 60))
        # Someone who texted STOP long ago must still never be texted.
        conn.execute(opted_out.insert().values(sender_id="hash-of-a-number", since=time.time() - 900 * DAY))
    engine.dispose()

    assert stores.run().message_sids == 1
    assert sms_rows(stores) == ({"SM-new"}, {"hash-of-a-number"})


def test_a_dry_run_counts_and_changes_nothing(stores, db, monkeypatch, capsys):
    old = referral(db, created=210, closed=200)
    add_events(stores, "stale", 300)
    before = (events_of(stores), sms_rows(stores))
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", stores.database_url)

    urls = ["--tracker-url", stores.tracker_url, "--sms-state-url", stores.sms_state_url]
    assert main(["--dry-run", "--days", "180", *urls]) == 0

    printed = capsys.readouterr().out
    assert "contact details to erase: 1" in printed and "to delete: 1" in printed
    assert printed.rstrip().endswith("dry run: nothing was changed")
    assert fetch(db, old).contact_encrypted is not None
    assert retention_audit(db) == []
    assert (events_of(stores), sms_rows(stores)) == before
    # The real run then erases what the dry run counted.
    erased = stores.run()
    assert (erased.referrals, erased.conversations) == (1, 1)


def test_the_command_prints_counts_only(stores, db, tmp_path):
    code = referral(db, created=210, closed=200)
    add_events(stores, "a-conversation-id", 300)
    # An empty folder as the working directory: no .env of a developer's can change the stores or the period.
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "NAVIGATOR_DATABASE_URL": stores.database_url}
    command = [sys.executable, "-m", "api.retention", "--tracker-url", stores.tracker_url]
    command += ["--sms-state-url", stores.sms_state_url]

    run = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, check=False)

    assert run.returncode == 0, run.stderr
    assert "referrals closed over 180 days ago, contact details erased: 1" in run.stdout
    assert "conversations idle over 180 days, deleted: 1" in run.stdout
    for secret in (code, "a-conversation-id", "Ana", "+17735550123", "5550123"):
        assert secret not in run.stdout + run.stderr


def test_bad_stores_are_a_one_line_error_and_exit_2(tmp_path, capsys):
    database = f"sqlite:///{tmp_path / 'navigator.db'}"
    upgrade(database)
    tracker = tmp_path / "tracker.db"
    engine = make_engine(f"sqlite:///{tracker}")
    tracker_metadata.create_all(engine)
    engine.dispose()
    good = {
        "database_url": database,
        "tracker_url": f"sqlite:///{tracker}",
        "sms_state_url": f"sqlite:///{tmp_path / 'sms.db'}",
    }

    engine = make_engine(database)
    db = make_sessionmaker(engine)()
    code = referral(db, created=210, closed=200)

    for wrong, says in [
        ({"tracker_url": "sqlite:///" + str(tmp_path / "typo.db")}, "no tracker store at"),
        ({"tracker_url": "postgresql://postgres:hunter2@127.0.0.1:1/tracker"}, "cannot reach the tracker store"),
        ({"tracker_url": "not a url://"}, "tracker store URL is not a database URL"),
        ({"tracker_url": database}, "has no events table"),
        ({"database_url": f"sqlite:///{tracker}"}, "has no referrals table: run python -m api.db.migrate"),
    ]:
        with pytest.raises(RetentionError, match=says) as raised:
            apply_retention(**{**good, **wrong}, days=180)
        assert "hunter2" not in str(raised.value)
    assert not (tmp_path / "typo.db").exists()  # a wrong path is not created as an empty database
    # Every store is checked before anything is changed: a wrong tracker URL erased no referral either.
    assert fetch(db, code).contact_encrypted is not None
    db.close()
    engine.dispose()

    # No SMS state store yet (no text message ever came in) is normal, not an error.
    assert apply_retention(**good, days=180).message_sids is None

    # The same from the command line, as cron would run it: exit 2, one line, no stack trace.
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "NAVIGATOR_DATABASE_URL": database}
    command = [sys.executable, "-m", "api.retention", "--tracker-url", str(tmp_path / "typo.db")]
    run = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, check=False)
    assert run.returncode == 2
    assert run.stderr.startswith("error: no tracker store at sqlite:///") and run.stderr.count("\n") == 1
    assert run.stdout == ""

    # argparse refuses a period under a day before any store is opened.
    with pytest.raises(SystemExit) as refused:
        main(["--days", "0"])
    assert refused.value.code == 2 and "must be 1 or more" in capsys.readouterr().err


def test_retention_settings_are_documented_with_their_defaults():
    # Beyond tests/test_settings_documented.py: the documented values are the real defaults an operator gets.
    documented = dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    for name, field in RetentionSettings.model_fields.items():
        assert str(field.default) == documented[f"NAVIGATOR_{name.upper()}"]

"""Retention: what `python -m api.retention` erases, one store at a time. Each helper returns how many things it
erased (or, with dry_run, would erase) and changes nothing else; none of them commits for a dry run."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from api.crud.referrals import TRANSITIONS, audit
from api.db.models import CheckIn, Referral, ReferralEvent

# A referral whose status allows no further change is over; today that is "closed" alone.
FINAL_STATUSES = frozenset(status for status, following in TRANSITIONS.items() if not following)

# The bot's tables, named here rather than imported: Rasa lives in the other environment. Only the columns used.
# Rasa's SQLTrackerStore: one row per event, `timestamp` in seconds since the epoch (rasa/core/tracker_store.py).
tracker_events = sa.table("events", sa.column("sender_id", sa.String), sa.column("timestamp", sa.Float))
# The SMS channel's handled MessageSids (bot/channels/sms_state.py); its opt-outs (sms_opted_out) are never touched:
# forgetting one would text someone who said STOP.
sms_handled = sa.table("sms_handled", sa.column("message_sid", sa.String), sa.column("received_at", sa.Float))


def _closed_before(cutoff: datetime) -> sa.Select:
    """Final referrals that still hold something identifying, whose closing event is older than the cutoff."""
    closed = (
        select(ReferralEvent.referral_id, func.max(ReferralEvent.at).label("closed_at"))
        .where(ReferralEvent.to_status.in_(FINAL_STATUSES))
        .group_by(ReferralEvent.referral_id)
        .subquery()
    )
    return (
        select(Referral)
        .join(closed, closed.c.referral_id == Referral.id)
        .where(
            Referral.status.in_(FINAL_STATUSES),
            # When it was closed, from its history: created_at says nothing about how long it has been over.
            closed.c.closed_at < cutoff,
            # Only referrals with something left to erase, so a second run erases (and audits) nothing.
            sa.or_(
                Referral.contact_encrypted.is_not(None),
                Referral.first_name.is_not(None),
                Referral.safe_times.is_not(None),
                Referral.conversation_id != "",
            ),
        )
        .order_by(Referral.id)
    )


def erase_closed_referrals(session: Session, *, closed_before: datetime, days: int, dry_run: bool = False) -> int:
    """Erase who a long-closed referral was for, keep what it was about (needs, area, programs, status, outcome,
    history) for the aggregate reports. One audit entry per referral, committed with the erasure."""
    query = _closed_before(closed_before)
    if dry_run:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0
    referrals = list(session.scalars(query))
    for referral in referrals:
        referral.contact_encrypted = None
        referral.first_name = None
        # Free text the resident gave about when contact is safe ("when he is at work"): it can say more about
        # them than their name does, and once the referral is over it has no use.
        referral.safe_times = None
        # The bot's conversation id is, on SMS, a keyed hash of the phone number: whoever holds the key could test
        # a number against it. Unlinked, the referral no longer leads back to a phone or a chat.
        referral.conversation_id = ""
        # The same keyed hash sits on its check-ins, where answers were matched: unlinked too.
        session.execute(
            update(CheckIn)
            .where(CheckIn.referral_id == referral.id)
            .values(sender_id="")
            .execution_options(synchronize_session=False)
        )
        audit(
            session,
            actor="retention",
            action="erase_contact",
            code=referral.code,
            detail=f"closed more than {days} days ago: contact details erased",
        )
    session.commit()
    return len(referrals)


def delete_stale_conversations(connection: Connection, *, last_event_before: float, dry_run: bool = False) -> int:
    """Delete every conversation (all its events) whose latest event is older than the cutoff; a conversation with
    any newer event is kept whole. Returns the number of conversations. The caller commits."""
    stale = (
        select(tracker_events.c.sender_id)
        .group_by(tracker_events.c.sender_id)
        .having(func.max(tracker_events.c.timestamp) < last_event_before)
    )
    if dry_run:
        return connection.scalar(select(func.count()).select_from(stale.subquery())) or 0
    if connection.dialect.name == "postgresql":
        # Hold the bot's writes (not its reads) until commit: otherwise a message arriving during the delete could
        # land in a conversation whose older events are being removed, leaving part of an active conversation.
        # SQLite needs nothing: the single DELETE below runs under its one writer lock.
        connection.execute(sa.text("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"))
    deleted = connection.execute(
        sa.delete(tracker_events).where(tracker_events.c.sender_id.in_(stale)).returning(tracker_events.c.sender_id)
    )
    return len(set(deleted.scalars()))


def delete_old_message_sids(connection: Connection, *, received_before: float, dry_run: bool = False) -> int:
    """Forget handled Twilio MessageSids older than the cutoff (a MessageSid leads, through Twilio, to the message and
    the number). Opt-outs are kept. The caller commits."""
    old = sms_handled.c.received_at < received_before
    if dry_run:
        return connection.scalar(select(func.count()).select_from(sms_handled).where(old)) or 0
    return connection.execute(sa.delete(sms_handled).where(old)).rowcount

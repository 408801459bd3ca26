"""Follow-up check-ins: who is due, claiming a round before it is sent, delivery statuses, the resident's answer.

A round is claimed by inserting its row (unique per referral and round) and committing, before anything is sent. A
second scheduler, or the same one after a restart, finds the row and sends nothing: at most once per round.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.checkin_texts import MEANINGS
from api.crud.referrals import audit
from api.db.models import CheckIn, Referral, ReferralEvent

# Contact methods where the resident chose to be texted (SMS "this number" or "another number", web "text me").
TEXTED = ("text", "other_number")
# Every state a check-in row can be in (api/db/models.py CheckIn), so a state with none still shows 0 in the metrics.
CHECKIN_STATES = ("sending", "sent", "not_sent", "interrupted", "skipped", "opted_out", "stopped")
# Answers after which no further check-in is sent.
FINAL_ANSWERS = ("helped", "stop")
# Twilio's delivery statuses in the order they happen; a late callback never moves a check-in backwards.
DELIVERY_ORDER = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4,
                  "read": 5}  # fmt: skip
# A claim older than this still "sending" was cut short (the process died mid-send); it is never sent again.
INTERRUPTED_AFTER = timedelta(minutes=10)


def eligible(session: Session, *, created_before: datetime) -> Iterator[Referral]:
    """Referrals whose resident agreed to be texted and said it is safe, still holding their number, not withdrawn
    or declined, with no answer that ends check-ins, old enough for the first round."""
    query = (
        select(Referral)
        .where(
            Referral.safe_to_text.is_(True),
            Referral.contact_method.in_(TEXTED),
            Referral.contact_encrypted.is_not(None),
            Referral.status != "declined",
            or_(Referral.outcome.is_(None), Referral.outcome != "declined"),
            or_(Referral.checkin_answer.is_(None), Referral.checkin_answer.not_in(FINAL_ANSWERS)),
            Referral.created_at <= created_before,
        )
        .order_by(Referral.id)
    )
    yield from session.scalars(query)


def claimed_rounds(session: Session, *, referral_id: int) -> set[int]:
    return set(session.scalars(select(CheckIn.round).where(CheckIn.referral_id == referral_id)))


def claim(session: Session, *, referral_id: int, round_: int, state: str, sender_id: str = "") -> CheckIn | None:
    """Insert and commit the round's row; None when it was already claimed (by this process earlier or another)."""
    row = CheckIn(referral_id=referral_id, round=round_, state=state, sender_id=sender_id)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return row


def finish(session: Session, *, checkin: CheckIn, state: str, twilio_sid: str | None = None) -> None:
    checkin.state = state
    checkin.twilio_sid = twilio_sid or None
    session.commit()


def mark_interrupted(session: Session, *, now: datetime) -> int:
    """Claims left "sending" by a process that died: recorded as interrupted, so staff can see them; not resent."""
    changed = session.execute(
        update(CheckIn)
        .where(CheckIn.state == "sending", CheckIn.claimed_at < now - INTERRUPTED_AFTER)
        .values(state="interrupted")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return changed.rowcount


def record_delivery(
    session: Session, *, twilio_sid: str, status: str, error_code: str | None, now: datetime
) -> CheckIn | None:
    """Twilio's status callback for a check-in; callbacks may arrive out of order, so only a later status counts."""
    checkin = session.scalar(select(CheckIn).where(CheckIn.twilio_sid == twilio_sid))
    if checkin is None:
        return None
    before = DELIVERY_ORDER.get(checkin.delivery or "", -1)
    if DELIVERY_ORDER.get(status, -1) >= before:
        checkin.delivery = status
        checkin.delivery_error = (error_code or None) and error_code[:10]
        checkin.delivery_at = now
        session.commit()
    return checkin


def waiting_for_answer(
    session: Session, *, sender_id: str, sent_after: datetime | None, now: datetime, answer_days: float
) -> CheckIn | None:
    """The latest check-in sent to this number, unanswered, recent, and sent after the resident's previous message
    (else a bare "1" picks from a list the bot just sent, and is not an answer)."""
    since = now - timedelta(days=answer_days)
    if sent_after is not None:
        since = max(since, sent_after)
    query = (
        select(CheckIn)
        .where(
            CheckIn.sender_id == sender_id,
            CheckIn.state == "sent",
            CheckIn.answer.is_(None),
            CheckIn.claimed_at > since,
        )
        .order_by(CheckIn.claimed_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def answer(session: Session, *, checkin: CheckIn, answer: str, now: datetime) -> Referral:
    """Record the resident's 1, 2 or 3 on the check-in and its referral, with the audit entry, in one commit.

    2 puts the referral back in front of outreach: a closed or finished referral is reopened (new, or assigned to
    the same worker). 3 ends check-ins for this referral, and for every other one of this number (number_stopped).
    """
    referral = session.get(Referral, checkin.referral_id)
    assert referral is not None  # the row cascades with its referral
    meaning = MEANINGS[answer]
    checkin.answer, checkin.answered_at = answer, now
    referral.checkin_answer, referral.checkin_answer_at = meaning, now
    if answer == "2" and referral.status not in ("new", "assigned"):
        reopened = "assigned" if referral.assignee_id is not None else "new"
        referral.history.append(
            ReferralEvent(actor="resident:checkin", from_status=referral.status, to_status=reopened, outcome=None)
        )
        referral.status, referral.outcome = reopened, None
    audit(session, actor="resident:checkin", action="checkin_answer", code=referral.code, detail=f"{answer}: {meaning}")
    session.commit()
    return referral


def number_stopped(session: Session, *, sender_id: str) -> bool:
    """Whether this number answered 3 to any check-in: then none of its referrals gets another, web or SMS."""
    query = select(CheckIn.id).where(CheckIn.sender_id == sender_id, CheckIn.answer == "3").limit(1)
    return session.scalar(query) is not None


def checkin_state_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(CheckIn.state, func.count()).group_by(CheckIn.state)).all())


def checkin_delivery_counts(session: Session) -> dict[str, int]:
    query = select(CheckIn.delivery, func.count()).where(CheckIn.delivery.is_not(None)).group_by(CheckIn.delivery)
    return dict(session.execute(query).all())


def checkins_of(session: Session, *, referral_id: int) -> list[CheckIn]:
    return list(session.scalars(select(CheckIn).where(CheckIn.referral_id == referral_id).order_by(CheckIn.round)))


def utcnow() -> datetime:
    return datetime.now(UTC)

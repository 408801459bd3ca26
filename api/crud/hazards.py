"""Hazard reports: created once per idempotency key, claimed for filing one at a time, filed with 311 at most once.

GeoReport v2 has no idempotency key, so a filing whose answer was lost (a timeout, a crash) may or may not be at the
city. Such a report has attempts > 0; before it is filed again the city's recent requests of its service are searched
for its code, which the description carries (api/core/hazards.py). Found: that request is the report's.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.crud.referrals import CODE_ALPHABET, IdempotencyConflict
from api.db.models import HazardReport

# Every state a report can be in, so the metrics show 0 where there is none.
HAZARD_STATES = ("queued", "filing", "filed", "refused")
# Waits between attempts while the city is unreachable double from the filer's period, up to an hour.
MAX_BACKOFF = timedelta(hours=1)


def new_code() -> str:
    return "HZ-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def request_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def create_report(
    session: Session, *, idempotency_key: str, body_json: str, **fields: object
) -> tuple[HazardReport, bool]:
    """(report, created): a retry with the same key and body returns the first report and creates nothing."""
    digest = request_hash(body_json)
    for _ in range(5):
        existing = session.scalar(select(HazardReport).where(HazardReport.idempotency_key == idempotency_key))
        if existing is not None:
            if existing.request_hash != digest:
                raise IdempotencyConflict("this Idempotency-Key was used for another report")
            return existing, False
        report = HazardReport(code=new_code(), idempotency_key=idempotency_key, request_hash=digest, state="queued",
                              attempts=0, **fields)  # fmt: skip
        session.add(report)
        try:
            session.commit()
            return report, True
        except IntegrityError:
            session.rollback()  # a concurrent retry of the same key won, or (rarely) the code was taken
    raise RuntimeError("could not store the hazard report")


def claim(session: Session, *, report: HazardReport, now: datetime) -> bool:
    """Take a queued report for filing; False when another filer has it, or it is no longer queued."""
    taken = session.execute(
        update(HazardReport)
        .where(HazardReport.id == report.id, HazardReport.state == "queued")
        .values(state="filing", claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    session.refresh(report)
    return taken == 1


def filed(session: Session, *, report: HazardReport, service_request_id: str, now: datetime) -> None:
    report.state, report.service_request_id, report.filed_at = "filed", service_request_id, now
    report.last_error = None
    session.commit()


def requeue(session: Session, *, report: HazardReport, error: str, now: datetime, first_wait: timedelta) -> None:
    """The city did not answer: back in the queue, the outcome unknown, tried again after a growing wait."""
    report.attempts += 1
    report.state, report.last_error = "queued", error[:200]
    report.next_attempt_at = now + min(first_wait * 2 ** (report.attempts - 1), MAX_BACKOFF)
    session.commit()


def refused(session: Session, *, report: HazardReport, error: str) -> None:
    report.state, report.last_error = "refused", error[:200]
    session.commit()


def due(session: Session, *, now: datetime) -> list[HazardReport]:
    """Queued reports whose wait is over, oldest first."""
    query = (
        select(HazardReport)
        .where(
            HazardReport.state == "queued",
            or_(HazardReport.next_attempt_at.is_(None), HazardReport.next_attempt_at <= now),
        )
        .order_by(HazardReport.id)
    )
    return list(session.scalars(query))


def release_stale_claims(session: Session, *, now: datetime, older_than: timedelta) -> int:
    """Claims still "filing" after older_than belong to a filer that died mid-call: the outcome is unknown, so they go
    back to the queue with the attempt counted, and the next filing looks for them at the city first."""
    changed = session.execute(
        update(HazardReport)
        .where(HazardReport.state == "filing", HazardReport.claimed_at < now - older_than)
        .values(state="queued", attempts=HazardReport.attempts + 1, last_error="the filer stopped mid-call")
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return changed


def hazard_state_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(HazardReport.state, func.count()).group_by(HazardReport.state)).all())


def reports_of_conversation(session: Session, *, conversation_id: str, limit: int = 5) -> list[HazardReport]:
    query = (
        select(HazardReport)
        .where(HazardReport.conversation_id == conversation_id)
        .order_by(HazardReport.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))

"""Referrals: created once per idempotency key, moved only along the allowed status transitions, with history."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.contact_box import encrypt
from api.core.contact_seal import open_sealed
from api.db.models import AuditEntry, Referral, ReferralEvent, ReferralNote
from api.schemas.referrals import ReferralCreate

# Read aloud or typed from an SMS: no I/1/L, O/0, S/5, Z/2, B/8 to confuse.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
OUTCOMES = {"served", "unreachable", "declined", "no_capacity", "redirected"}
TRANSITIONS = {
    "new": {"assigned", "closed"},
    "assigned": {"assigned", "contacted", "unable_to_reach", "closed"},
    "contacted": {"connected", "unable_to_reach", "declined", "closed"},
    "connected": {"closed"},
    "unable_to_reach": {"assigned", "closed"},
    "declined": {"closed"},
    "closed": set(),
}
# Where a referral ends up, an outcome says why.
NEEDS_OUTCOME = {"connected", "unable_to_reach", "declined", "closed"}


class InvalidTransition(ValueError):
    pass


class IdempotencyConflict(ValueError):
    """The same Idempotency-Key came with a different request: a client bug, never a retry."""


def new_code() -> str:
    return "CSCC-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def request_hash(data: ReferralCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def get_referral(session: Session, *, code: str) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.code == code))


def create_referral(
    session: Session, *, idempotency_key: str, data: ReferralCreate, contact_key: str, sealing_key: str = ""
) -> tuple[Referral, bool]:
    """(referral, created): a retry with the same key and body returns the first referral and creates nothing."""
    digest = request_hash(data)
    existing = session.scalar(select(Referral).where(Referral.idempotency_key == idempotency_key))
    if existing is not None:
        if existing.request_hash != digest:
            raise IdempotencyConflict("this Idempotency-Key was used for another referral")
        return existing, False
    contact = data.contact or (open_sealed(data.sealed_contact, sealing_key) if data.sealed_contact else None)
    for _ in range(5):
        referral = Referral(
            code=new_code(),
            idempotency_key=idempotency_key,
            request_hash=digest,
            channel=data.channel,
            language=data.language,
            conversation_id=data.conversation_id,
            needs=list(data.needs),
            programs=list(data.programs),
            community_area=data.community_area,
            first_name=data.first_name,
            contact_method=data.contact_method,
            contact_encrypted=encrypt(contact, contact_key) if contact else None,
            safe_to_text=data.safe_to_text,
            safe_to_call=data.safe_to_call,
            safe_times=data.safe_times,
            no_voicemail=data.no_voicemail,
            consent_text=data.consent.text,
            consent_at=data.consent.at,
            consent_scope=data.consent.scope,
            status="new",
        )
        referral.history.append(ReferralEvent(actor="resident", from_status=None, to_status="new"))
        session.add(referral)
        try:
            session.commit()
            return referral, True
        except IntegrityError:
            session.rollback()
            # Either a concurrent retry of the same request won the race, or (rarely) the code was taken.
            existing = session.scalar(select(Referral).where(Referral.idempotency_key == idempotency_key))
            if existing is not None:
                return create_referral(
                    session, idempotency_key=idempotency_key, data=data, contact_key=contact_key,
                    sealing_key=sealing_key,
                )  # fmt: skip
    raise RuntimeError("could not find a free referral code")


def change_status(
    session: Session, *, referral: Referral, to_status: str, actor: str, outcome: str | None = None
) -> Referral:
    if to_status not in TRANSITIONS.get(referral.status, set()):
        raise InvalidTransition(f"a referral that is {referral.status} cannot become {to_status}")
    if to_status in NEEDS_OUTCOME and outcome not in OUTCOMES:
        raise InvalidTransition(f"{to_status} needs an outcome: one of {', '.join(sorted(OUTCOMES))}")
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidTransition(f"unknown outcome {outcome!r}")
    referral.history.append(
        ReferralEvent(actor=actor, from_status=referral.status, to_status=to_status, outcome=outcome)
    )
    referral.status = to_status
    referral.outcome = outcome or referral.outcome
    session.commit()
    return referral


def withdraw(session: Session, *, referral: Referral) -> Referral:
    """The resident cancels: the referral is closed and its contact details erased, whatever its status."""
    if referral.status != "closed":
        referral.history.append(
            ReferralEvent(actor="resident", from_status=referral.status, to_status="closed", outcome="declined")
        )
        referral.status, referral.outcome = "closed", "declined"
    referral.contact_encrypted = None
    referral.first_name = None
    session.commit()
    return referral


def referrals_of_conversation(session: Session, *, conversation_id: str) -> list[Referral]:
    """A resident's referrals, newest first: what STATUS reports and CANCEL REFERRAL withdraws."""
    query = (
        select(Referral)
        .where(Referral.conversation_id == conversation_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    return list(session.scalars(query))


def visible_to(referral: Referral, *, role: str, user_id: int) -> bool:
    """Supervisors see every referral; outreach workers their own and unassigned ones; admins manage accounts."""
    if role == "supervisor":
        return True
    return role == "outreach" and referral.assignee_id in (None, user_id)


def visible_only(query: Select, *, role: str, user_id: int) -> Select:
    """The rule of visible_to, in SQL: outreach workers' queries are limited to their own and unassigned referrals."""
    if role == "outreach":
        return query.where((Referral.assignee_id.is_(None)) | (Referral.assignee_id == user_id))
    return query


def status_counts(session: Session, *, role: str, user_id: int) -> dict[str, int]:
    """Referrals per status among those this user may see."""
    if role not in ("outreach", "supervisor"):
        return {}
    return _counts_by_status(session, visible_only(_BY_STATUS, role=role, user_id=user_id))


def all_status_counts(session: Session) -> dict[str, int]:
    """Referrals per status, all of them: the operator's gauge (api/core/metrics.py), which names no one."""
    return _counts_by_status(session, _BY_STATUS)


_BY_STATUS = select(Referral.status, func.count()).group_by(Referral.status)


def _counts_by_status(session: Session, query: Select) -> dict[str, int]:
    return dict(session.execute(query).tuples().all())


def list_referrals(
    session: Session,
    *,
    role: str,
    user_id: int,
    status: str | None = None,
    need: str | None = None,
    community_area: str | None = None,
    language: str | None = None,
    created_before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Referral]:
    if role not in ("outreach", "supervisor"):
        return []
    query = visible_only(
        select(Referral).order_by(Referral.created_at.desc(), Referral.id.desc()), role=role, user_id=user_id
    )
    if status:
        query = query.where(Referral.status == status)
    if community_area:
        query = query.where(Referral.community_area == community_area)
    if language:
        query = query.where(Referral.language == language)
    if created_before:
        # "Waiting more than N days": what outreach must not let slip.
        query = query.where(Referral.created_at <= created_before)
    if not need:
        return list(session.scalars(query.limit(limit).offset(offset)))
    # needs is a JSON list: filtered here, the same way on SQLite and PostgreSQL, then paged.
    rows = [r for r in session.scalars(query) if need in (r.needs or [])]
    return rows[offset : offset + limit]


def add_note(session: Session, *, referral: Referral, author_id: int, text: str) -> ReferralNote:
    note = ReferralNote(referral_id=referral.id, author_id=author_id, text=text)
    session.add(note)
    session.commit()
    return note


def notes_of(session: Session, *, referral: Referral) -> list[ReferralNote]:
    return list(session.scalars(select(ReferralNote).where(ReferralNote.referral_id == referral.id)))


def audit(session: Session, *, actor: str, action: str, code: str | None, detail: str = "") -> None:
    """Record an entry in the caller's transaction: it is committed with the change it describes, or not at all."""
    session.add(AuditEntry(actor=actor, action=action, referral_code=code, detail=detail[:200]))


def audit_entries(session: Session, *, code: str | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if code:
        query = query.where(AuditEntry.referral_code == code)
    return list(session.scalars(query))


def needs_by_area_and_week(session: Session, *, since: datetime) -> list[tuple[str, str, date, int]]:
    """(need, community area, week's Monday, referrals) for referrals created since then; aggregate only."""
    counts: Counter[tuple[str, str, date]] = Counter()
    for created_at, needs, area in session.execute(
        select(Referral.created_at, Referral.needs, Referral.community_area).where(Referral.created_at >= since)
    ):
        day = created_at.date()
        monday = day - timedelta(days=day.weekday())
        for need in needs or ["unknown"]:
            counts[(need, area or "unknown", monday)] += 1
    return sorted(((n, a, w, c) for (n, a, w), c in counts.items()), key=lambda row: (row[2], row[0], row[1]))

"""Program flags: a staff member reports that a catalog program's facts look out of date; a supervisor resolves it.

The helpers add and change rows in the caller's transaction and flush (so a new flag has its id) without committing:
the caller writes the audit entry that describes the change and commits both together, or neither.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.db.models import ProgramFlag

MAX_REASON = 500


class FlagError(ValueError):
    """A flag that cannot be made or resolved; the message is safe to show."""


def clean_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise FlagError("say what looks out of date")
    if len(text) > MAX_REASON:
        raise FlagError(f"the reason is {len(text)} characters long; keep it to {MAX_REASON}")
    return text


def flag_program(session: Session, *, program_id: str, reason: str, flagged_by: int) -> ProgramFlag:
    flag = ProgramFlag(program_id=program_id, reason=clean_reason(reason), flagged_by=flagged_by)
    session.add(flag)
    session.flush()
    return flag


def get_flag(session: Session, *, flag_id: int) -> ProgramFlag | None:
    return session.get(ProgramFlag, flag_id)


def resolve_flag(session: Session, *, flag: ProgramFlag, resolved_by: int) -> ProgramFlag:
    """Resolve an open flag once: of two supervisors resolving it at the same moment, the second is refused."""
    changed = session.execute(
        update(ProgramFlag)
        .where(ProgramFlag.id == flag.id, ProgramFlag.resolved_at.is_(None))
        .values(resolved_at=datetime.now(UTC), resolved_by=resolved_by)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise FlagError("this flag was already resolved")
    session.refresh(flag)
    return flag


def flags_of(session: Session, *, program_id: str) -> list[ProgramFlag]:
    """A program's flags, newest first."""
    query = select(ProgramFlag).where(ProgramFlag.program_id == program_id)
    return list(session.scalars(query.order_by(ProgramFlag.created_at.desc(), ProgramFlag.id.desc())))


def open_flag_counts(session: Session) -> Counter[str]:
    """Unresolved flags per program id (programs without one are absent)."""
    query = (
        select(ProgramFlag.program_id, func.count())
        .where(ProgramFlag.resolved_at.is_(None))
        .group_by(ProgramFlag.program_id)
    )
    return Counter(dict(session.execute(query).tuples().all()))

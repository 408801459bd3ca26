"""Staff accounts: created with a role, found by email, checked against an Argon2 hash."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db.models import StaffUser

ROLES = ("outreach", "supervisor", "admin")
MIN_PASSWORD = 12
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so a wrong email takes as long as a wrong password."""
    return _hasher.hash("not a password of anyone")


class StaffError(ValueError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_staff(session: Session, *, email: str, display_name: str, role: str, password: str) -> StaffUser:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"a password needs at least {MIN_PASSWORD} characters")
    if "@" not in email:
        raise StaffError("an email address is needed")
    user = StaffUser(
        email=normalise_email(email), display_name=display_name.strip() or email, role=role,
        password_hash=_hasher.hash(password), active=True,
    )  # fmt: skip
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise StaffError("an account with this email exists") from exc
    return user


def get_staff(session: Session, *, user_id: int) -> StaffUser | None:
    return session.get(StaffUser, user_id)


def authenticate(session: Session, *, email: str, password: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return user


def ensure_first_admin(session: Session, *, email: str, password: str) -> bool:
    """Create the first admin when no account has this email yet; True when one was created."""
    if session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email))) is not None:
        return False
    create_staff(session, email=email, display_name="Administrator", role="admin", password=password)
    return True

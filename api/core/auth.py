"""Staff identity: OAuth2 password flow, short-lived signed tokens (PyJWT, HS256), roles checked on every request
against the database, so a disabled account or a changed role takes effect at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from api.core.settings import AuthSettings
from api.crud.staff import get_staff
from api.db.models import StaffUser
from api.dependencies import SessionDep

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
ALGORITHM = "HS256"
UNAUTHORIZED = HTTPException(
    status.HTTP_401_UNAUTHORIZED, "Sign in again: missing, expired or invalid token.", {"WWW-Authenticate": "Bearer"}
)


def get_auth_settings(request: Request) -> AuthSettings:
    return request.app.state.auth


AuthSettingsDep = Annotated[AuthSettings, Depends(get_auth_settings)]


def issue_token(user: StaffUser, settings: AuthSettings) -> tuple[str, int]:
    expires = timedelta(minutes=settings.token_minutes)
    claims = {"sub": str(user.id), "iat": datetime.now(UTC), "exp": datetime.now(UTC) + expires}
    return jwt.encode(claims, settings.auth_secret.get_secret_value(), algorithm=ALGORITHM), int(
        expires.total_seconds()
    )


def current_staff(
    token: Annotated[str | None, Depends(oauth2)], settings: AuthSettingsDep, session: SessionDep
) -> StaffUser:
    secret = settings.auth_secret.get_secret_value()
    if not token or not secret:
        raise UNAUTHORIZED
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        user = get_staff(session, user_id=int(claims["sub"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise UNAUTHORIZED from exc
    if user is None or not user.active:
        raise UNAUTHORIZED
    return user


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


def require_role(*roles: str):  # noqa: ANN201 - a FastAPI dependency factory
    def check(user: CurrentStaff) -> StaffUser:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"This needs the role {' or '.join(roles)}.")
        return user

    return check

"""Staff sign-in (OAuth2 password flow), throttled per account so a password cannot be guessed at speed."""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.core.auth import AuthSettingsDep, CurrentStaff, issue_token
from api.crud.staff import authenticate, normalise_email
from api.dependencies import SessionDep

router = APIRouter(prefix="/api/v1/auth", tags=["staff sign-in"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class StaffOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: str


@router.post("/token", responses={401: {"description": "Wrong email or password."}, 429: {}, 503: {}})
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    settings: AuthSettingsDep,
    session: SessionDep,
) -> TokenOut:
    if not settings.auth_secret.get_secret_value():
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "Staff sign-in is off: NAVIGATOR_AUTH_SECRET is not set."
        )
    limiter = request.app.state.login_limiter
    account = normalise_email(form.username)
    if not await limiter.hit(settings.login_limit, "login", account):
        stats = await limiter.get_window_stats(settings.login_limit, "login", account)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many sign-in attempts for this account; wait and try again.",
            headers={"Retry-After": str(retry_after)},
        )
    # Argon2 takes tens of milliseconds on purpose: off the event loop.
    user = await run_in_threadpool(authenticate, session, email=form.username, password=form.password)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Wrong email or password.", headers={"WWW-Authenticate": "Bearer"}
        )
    access_token, expires_in = issue_token(user, settings)
    return TokenOut(access_token=access_token, expires_in=expires_in)


@router.get("/me", responses={401: {"description": "No token, or a wrong or expired one."}})
def me(user: CurrentStaff) -> StaffOut:
    return StaffOut(id=user.id, email=user.email, display_name=user.display_name, role=user.role)

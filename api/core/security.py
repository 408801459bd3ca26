"""Who is calling: the action server proves itself with the service token; residents' web pages carry none."""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.core.settings import SecuritySettings

bearer = HTTPBearer(auto_error=False)


@lru_cache(maxsize=1)
def security_settings() -> SecuritySettings:
    return SecuritySettings()


def caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    settings: Annotated[SecuritySettings, Depends(security_settings)],
) -> str:
    """'public' without a token, 'service' with the right one; a wrong token is refused, never treated as public."""
    if credentials is None:
        return "public"
    expected = settings.service_token
    if expected and hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        return "service"
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid service token.", headers={"WWW-Authenticate": "Bearer"})


Caller = Annotated[str, Depends(caller)]

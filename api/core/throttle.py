"""A cap on the public program endpoints per client address, so one script cannot take the search away from
residents. The action server (service token) is never capped: it speaks for many residents at once."""

from __future__ import annotations

import math
import time
from typing import Annotated

import limits
from fastapi import Depends, HTTPException, Request, status

from api.core.security import Caller, security_settings
from api.core.settings import SecuritySettings


async def public_throttle(
    request: Request, caller: Caller, settings: Annotated[SecuritySettings, Depends(security_settings)]
) -> None:
    if caller == "service":
        return
    limit = limits.parse(settings.public_rate_limit)
    address = request.client.host if request.client else "unknown"
    limiter = request.app.state.public_limiter
    if not await limiter.hit(limit, "public", address):
        stats = await limiter.get_window_stats(limit, "public", address)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many requests from this address: wait a moment and try again.",
            headers={"Retry-After": str(max(1, math.ceil(stats.reset_time - time.time())))},
        )

"""Request logging that never records query strings: they carry what residents typed."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger("navigator.api.access")


async def log_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    # Path only: ?q=... would put a resident's words in the log. Program ids in paths are public data.
    log.info(
        "%s %s %d %.1fms",
        request.method,
        request.url.path,
        response.status_code,
        (time.perf_counter() - started) * 1000,
    )
    return response

"""Errors answered in a shape clients can act on: 422s for input FastAPI cannot check by itself, in the same shape as
its own validation errors; 503 "database unavailable" while the database cannot be reached."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger(__name__)

# Declared on every router that reads or writes the database (api/main.py), so clients know to retry.
DATABASE_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "The database cannot be reached: retry after the Retry-After header's seconds."}
}


def invalid(param: str, message: str, value: Any) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", param), "msg": message, "input": value}])


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL restarting or unreachable (SQLite locked): a 503 the bot's outbox and clients retry, not a 500.
    Other database errors (an integrity error is a bug) are raised on, as before."""
    if not (isinstance(exc, OperationalError | InterfaceError) or getattr(exc, "connection_invalidated", False)):
        raise exc
    # The class only: a driver's message can quote the statement's parameters (a resident's data).
    log.warning("database unavailable: %s", type(getattr(exc, "orig", exc)).__name__)
    return JSONResponse({"detail": "database unavailable"}, status_code=503, headers={"Retry-After": "2"})

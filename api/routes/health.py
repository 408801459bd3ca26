"""Health for load balancers, orchestrators and `make run`.

- GET /healthz: {"status": "ok"} (kept as it was: tools and tests use it).
- GET /livez: the process answers; 200 always. Restart it when this fails.
- GET /readyz: 200 only when the database answers `SELECT 1` and the program search is loaded; otherwise 503 with
  {"status": "not ready", "checks": {...}} naming what is not (never an error message or a trace). Send it no
  traffic while it fails.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])
log = logging.getLogger("navigator.api.health")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/livez")
def livez() -> dict[str, str]:
    return {"status": "alive"}


def database_ready(request: Request) -> bool:
    engine = getattr(request.app.state, "db_engine", None)
    if engine is None:
        return False
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; the type is enough for the log
        log.warning("database not ready: %s", type(exc).__name__)
        return False
    return True


@router.get(
    "/readyz",
    responses={503: {"description": "The database or the search is not ready; the body names which."}},
)
def readyz(request: Request) -> JSONResponse:
    checks = {
        "database": "ok" if database_ready(request) else "unavailable",
        "search": "ok" if getattr(request.app.state, "searcher", None) is not None else "not loaded",
    }
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )

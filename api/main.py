"""The api: program search and directory, the resident web chat, referrals and the staff console.

Run with `python -m api` (or `uvicorn --factory api.main:create_app`). The embedding model and the index are loaded
once, in the lifespan, never at import; so are the web chat's HTTP client to the bot and its rate limiter.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.exc import DBAPIError

from api.core.logging import RequestContext
from api.core.metrics import ApiMetrics
from api.core.settings import AuthSettings, ChatSettings, DatabaseSettings
from api.db.session import make_engine, make_sessionmaker
from api.errors import DATABASE_UNAVAILABLE, database_unavailable
from api.routes import (
    auth,
    chat,
    checkins,
    events,
    hazard_reports,
    health,
    metrics,
    places,
    programs,
    referrals,
    reports,
    resident_referrals,
    web,
)
from api.routes.console import router as console_router
from api.routes.console_catalog import router as console_catalog_router
from api.routes.console_events import router as console_events_router
from api.routes.console_insights import router as console_insights_router
from knowledge.catalog import load_programs
from knowledge.embedding import load_configured_model
from knowledge.search import Searcher
from knowledge.settings import SearchSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger("navigator.api")


def create_app(
    search_settings: SearchSettings | None = None,
    *,
    model: SentenceTransformer | None = None,
    chat_settings: ChatSettings | None = None,
    database_settings: DatabaseSettings | None = None,
    auth_settings: AuthSettings | None = None,
) -> FastAPI:
    """The app; tests may pass settings and an already loaded model so one model serves a whole test run."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = search_settings or SearchSettings()
        catalog = load_programs(settings.catalog_dir)
        encoder = model or load_configured_model(settings)
        app.state.searcher = Searcher.open(settings, catalog, encoder)
        log.info("search ready: %d programs", len(catalog))
        app.state.chat_settings = chat_settings or ChatSettings()
        # One pooled client for every visit, with its own fixed user agent (never the resident's). trust_env=False:
        # a proxy variable in the environment must not route residents' messages through another host.
        app.state.bot_client = httpx.AsyncClient(
            headers={"User-Agent": "navigator-api"}, trust_env=False, follow_redirects=False
        )
        # Per-session counts in this process's memory, forgotten as their window passes; nothing is written down.
        app.state.chat_limiter = MovingWindowRateLimiter(MemoryStorage())
        # Public program requests per client address, in memory: addresses are counted, never written down.
        app.state.public_limiter = MovingWindowRateLimiter(MemoryStorage())
        app.state.database = database_settings or DatabaseSettings()
        app.state.db_engine = make_engine(app.state.database.database_url)
        app.state.db_sessions = make_sessionmaker(app.state.db_engine)
        app.state.auth = auth_settings or AuthSettings()
        # Read now, so a wrong value stops the start with its name instead of failing a resident's answer later.
        checkins.checkin_settings()
        hazard_reports.open311_settings()
        # Sign-in attempts per account, in memory (per process): enough to make guessing slow.
        app.state.login_limiter = MovingWindowRateLimiter(MemoryStorage())
        try:
            yield
        finally:
            app.state.db_engine.dispose()
            await app.state.bot_client.aclose()
            app.state.searcher.close()

    app = FastAPI(
        title="Navigator API",
        version="0.1.0",
        lifespan=lifespan,
        description="Chicago CSCC resource navigator: program search and directory, and the resident web chat.",
    )
    # Counters live from the first request; the referral gauge reads the database once the lifespan opened it.
    app.state.metrics = ApiMetrics(lambda: app.state.db_sessions() if hasattr(app.state, "db_sessions") else None)
    app.add_middleware(RequestContext, metrics=app.state.metrics)
    app.add_exception_handler(DBAPIError, database_unavailable)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(programs.router)
    app.include_router(places.router)
    app.include_router(chat.router)
    for router in (
        referrals.router,
        referrals.audit_router,
        resident_referrals.router,
        checkins.router,
        hazard_reports.router,
        events.router,
        reports.router,
        auth.router,
    ):
        app.include_router(router, responses=DATABASE_UNAVAILABLE)
    app.include_router(web.router)
    app.include_router(console_router)
    app.include_router(console_catalog_router)
    app.include_router(console_events_router)
    app.include_router(console_insights_router)
    return app

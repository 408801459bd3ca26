"""The api: program search and directory now; referrals, the web chat and the staff console come later.

Run with `python -m api` (or `uvicorn --factory api.main:create_app`). The embedding model and the index are loaded
once, in the lifespan, never at import.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from api.core.logging import log_requests
from api.routes import health, programs
from knowledge.catalog import load_programs
from knowledge.embedding import load_configured_model
from knowledge.search import Searcher
from knowledge.settings import SearchSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger("navigator.api")


def create_app(search_settings: SearchSettings | None = None, *, model: SentenceTransformer | None = None) -> FastAPI:
    """The app; tests may pass settings and an already loaded model so one model serves a whole test run."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = search_settings or SearchSettings()
        catalog = load_programs(settings.catalog_dir)
        encoder = model or load_configured_model(settings)
        app.state.searcher = Searcher.open(settings, catalog, encoder)
        log.info("search ready: %d programs", len(catalog))
        try:
            yield
        finally:
            app.state.searcher.close()

    app = FastAPI(
        title="Navigator API",
        version="0.1.0",
        lifespan=lifespan,
        description="Chicago CSCC resource navigator: program search and directory.",
    )
    app.middleware("http")(log_requests)
    app.include_router(health.router)
    app.include_router(programs.router)
    return app

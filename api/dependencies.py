"""Request-scoped access to what the lifespan loaded once."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request
from limits.aio.strategies import MovingWindowRateLimiter

from api.core.settings import ChatSettings
from knowledge.catalog import Taxonomy, load_taxonomy
from knowledge.search import Searcher


def get_searcher(request: Request) -> Searcher:
    return request.app.state.searcher


def get_taxonomy() -> Taxonomy:
    return load_taxonomy()


def get_chat_settings(request: Request) -> ChatSettings:
    return request.app.state.chat_settings


def get_bot_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.bot_client


def get_chat_limiter(request: Request) -> MovingWindowRateLimiter:
    return request.app.state.chat_limiter


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy)]
ChatSettingsDep = Annotated[ChatSettings, Depends(get_chat_settings)]
BotClientDep = Annotated[httpx.AsyncClient, Depends(get_bot_client)]
ChatLimiterDep = Annotated[MovingWindowRateLimiter, Depends(get_chat_limiter)]

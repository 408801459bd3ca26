"""Request-scoped access to what the lifespan loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import httpx
from fastapi import Depends, Request
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from api.core.settings import ChatSettings, DatabaseSettings
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


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db_sessions() as session:
        yield session


def get_database_settings(request: Request) -> DatabaseSettings:
    return request.app.state.database


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy)]
ChatSettingsDep = Annotated[ChatSettings, Depends(get_chat_settings)]
BotClientDep = Annotated[httpx.AsyncClient, Depends(get_bot_client)]
ChatLimiterDep = Annotated[MovingWindowRateLimiter, Depends(get_chat_limiter)]
SessionDep = Annotated[Session, Depends(get_session)]
DatabaseSettingsDep = Annotated[DatabaseSettings, Depends(get_database_settings)]

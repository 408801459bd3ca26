"""Request-scoped access to what the lifespan loaded once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from knowledge.catalog import Taxonomy, load_taxonomy
from knowledge.search import Searcher


def get_searcher(request: Request) -> Searcher:
    return request.app.state.searcher


def get_taxonomy() -> Taxonomy:
    return load_taxonomy()


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy)]

"""The program directory and search: /api/v1/programs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request

from api.core.metrics import MetricsDep
from api.core.search_record import record_search
from api.core.security import Caller
from api.core.throttle import public_throttle
from api.dependencies import SearcherDep, TaxonomyDep
from api.errors import invalid
from api.schemas.programs import DirectoryResponse, Lang, PlaceOut, ProgramOut, SearchResponse, SearchResultOut
from knowledge.catalog import Taxonomy
from knowledge.geo import UnknownPlace, resolve
from knowledge.search import MAX_LIMIT, MAX_QUERY_CHARS, SearchQuery

# Public endpoints, capped per client address; a caller presenting a token must present the right one (the action
# server does, and is not capped).
router = APIRouter(
    prefix="/api/v1/programs",
    tags=["programs"],
    dependencies=[Depends(public_throttle)],
    responses={
        401: {"description": "A token was sent and it is not the service token."},
        429: {"description": "Too many requests from this address; see Retry-After."},
    },
)


def _check_category(category: str | None, taxonomy: Taxonomy) -> None:
    if category is not None and category not in taxonomy.categories:
        known = ", ".join(sorted(taxonomy.categories))
        raise invalid("category", f"Unknown category {category[:40]!r}. Use one of: {known}.", category)


@router.get("/search")
def search_programs(
    request: Request,
    background: BackgroundTasks,
    caller: Caller,
    searcher: SearcherDep,
    taxonomy: TaxonomyDep,
    metrics: MetricsDep,
    q: Annotated[
        str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="What the resident needs, in their words.")
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 5,
    lang: Annotated[Lang | None, Query(description="Reply language; detected from q when omitted.")] = None,
    near: Annotated[str | None, Query(max_length=100, description="ZIP code, community area or 'lat,lon'.")] = None,
    category: Annotated[str | None, Query(max_length=60, description="A taxonomy slug.")] = None,
    open_now: bool = False,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}$", description="Only programs serving in it.")] = None,
) -> SearchResponse:
    if not q.strip():
        raise invalid("q", "Say what you need: the query is empty.", q)
    _check_category(category, taxonomy)
    place = None
    if near is not None:
        try:
            place = resolve(near)
        except UnknownPlace as exc:
            raise invalid("near", str(exc), near) from exc
    outcome = searcher.search(
        SearchQuery(
            text=q.strip(), limit=limit, lang=lang, near=place, category=category, open_now=open_now, language=language
        )
    )
    metrics.observe_search(q.strip(), outcome)
    if caller == "service":  # a resident's conversation, not the public page: its outcome, never its words
        record_search(background, request, q.strip(), outcome, place=place, category=category)
    lang_out: Lang = "es" if outcome.lang == "es" else "en"
    return SearchResponse(
        query=q,
        lang=lang_out,
        near=PlaceOut.of(place) if place else None,
        category=category,
        open_now=open_now,
        results=[SearchResultOut.from_hit(hit, lang_out, taxonomy) for hit in outcome.hits],
        total=len(outcome.hits),
    )


@router.get("")
def list_programs(
    searcher: SearcherDep,
    taxonomy: TaxonomyDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    category: Annotated[str | None, Query(max_length=60)] = None,
    lang: Lang = "en",
) -> DirectoryResponse:
    _check_category(category, taxonomy)
    programs = list(searcher.programs.values())
    if category:
        programs = [p for p in programs if category in p.categories]
    page = programs[offset : offset + limit]
    return DirectoryResponse(
        results=[ProgramOut.build(p, lang, taxonomy) for p in page], total=len(programs), limit=limit, offset=offset
    )


@router.get("/{program_id}", responses={404: {"description": "No program with that id."}})
def get_program(program_id: str, searcher: SearcherDep, taxonomy: TaxonomyDep, lang: Lang = "en") -> ProgramOut:
    program = searcher.programs.get(program_id)
    if program is None:
        raise HTTPException(status_code=404, detail="No program with that id.")
    return ProgramOut.build(program, lang, taxonomy)

"""What the program search writes down about a resident's search, for the CSCC's Insights page: the day (UTC), the
need as a taxonomy slug, the community area, the reply language, and whether it found something good (the rule of
api/core/metrics.py `good_result`). Never the words, the place as typed, a point or any id.

Only searches made with the action server's service token are recorded (residents' conversations), never the
public web page's own searches. The write happens after the answer has gone (a background task), and any failure
is logged by its class alone: a database problem never fails, nor slows, a resident's search.

The need, in this order: the category the search was asked for; else the one taxonomy category whose words (label,
Spanish label, what it covers) the query shares most, with the English expansion of a Spanish query; else the one
category most common among the first results that share a word with the query (the results a good search is
judged by); else "unclassified". On the development evaluation set (../shared/eval/search_dev.jsonl) that names
the expected category for 21 of 24 queries and a wrong one for none.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING

from api.core.metrics import GOOD_RESULT_DEPTH
from api.crud.search_outcomes import UNCLASSIFIED, add_search_outcome
from knowledge.catalog import Taxonomy, load_taxonomy
from knowledge.geo import Place, community_areas
from knowledge.text import stems

if TYPE_CHECKING:
    from fastapi import BackgroundTasks, Request
    from sqlalchemy.orm import Session

    from api.core.metrics import ApiMetrics
    from knowledge.search import SearchOutcome

log = logging.getLogger("navigator.api.search_record")


@dataclass(frozen=True)
class SearchRecord:
    searched_on: date
    need: str
    community_area: str | None
    language: str
    good: bool


def _vocabulary(taxonomy: Taxonomy) -> dict[str, frozenset[str]]:
    """Each category's search terms: its English label and what it covers, and its Spanish label."""
    return _terms_of(
        tuple(
            (slug, f"{labels['en']} {labels.get('covers', '')}", labels["es"])
            for slug, labels in taxonomy.categories.items()
        )
    )


@cache
def _terms_of(categories: tuple[tuple[str, str, str], ...]) -> dict[str, frozenset[str]]:
    return {slug: frozenset(stems(en, "en")) | frozenset(stems(es, "es")) for slug, en, es in categories}


def _only_best(scores: Counter[str]) -> str | None:
    ranked = scores.most_common(2)
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def classify_need(
    text: str, outcome: SearchOutcome, *, category: str | None, taxonomy: Taxonomy, metrics: ApiMetrics
) -> str:
    """A taxonomy slug for what the search was about, or "unclassified"."""
    if category:
        return category
    lang = "es" if outcome.lang == "es" else "en"
    terms = set(stems(text, lang))
    if outcome.expansion:
        terms |= set(stems(" ".join(outcome.expansion), "en"))
    by_words = _only_best(Counter({slug: len(terms & words) for slug, words in _vocabulary(taxonomy).items()}))
    if by_words:
        return by_words
    matching = [
        hit.program
        for hit in outcome.hits[:GOOD_RESULT_DEPTH]
        if terms & metrics._program_terms(hit.program)  # the terms good_result compares
    ]
    by_results = _only_best(Counter(c for program in matching for c in program.categories))
    return by_results if by_results in taxonomy.categories else UNCLASSIFIED


def search_record(
    text: str,
    outcome: SearchOutcome,
    *,
    place: Place | None,
    category: str | None,
    taxonomy: Taxonomy,
    metrics: ApiMetrics,
) -> SearchRecord:
    """What to write down about this search."""
    area = community_areas().get(place.community_area) if place and place.community_area else None
    return SearchRecord(
        searched_on=datetime.now(UTC).date(),
        need=classify_need(text, outcome, category=category, taxonomy=taxonomy, metrics=metrics),
        community_area=area.name if area else None,
        language="es" if outcome.lang == "es" else "en",
        good=metrics.good_result(text, outcome),
    )


def write_record(sessions: Callable[[], Session], record: SearchRecord) -> None:
    """Store the record; on any failure log the error's class (never its message, which may quote the row)."""
    try:
        with sessions() as session:
            add_search_outcome(
                session,
                searched_on=record.searched_on,
                need=record.need,
                community_area=record.community_area,
                language=record.language,
                good=record.good,
            )
    except Exception as exc:
        log.warning("search outcome not recorded: %s", type(exc).__name__)


def record_search(
    background: BackgroundTasks,
    request: Request,
    text: str,
    outcome: SearchOutcome,
    *,
    place: Place | None,
    category: str | None,
) -> None:
    """Write the search's outcome down once the answer has gone (the app's database, metrics and taxonomy).
    Never raises."""
    try:
        record = search_record(
            text,
            outcome,
            place=place,
            category=category,
            taxonomy=load_taxonomy(),
            metrics=request.app.state.metrics,
        )
    except Exception as exc:
        log.warning("search outcome not recorded: %s", type(exc).__name__)
        return
    background.add_task(write_record, request.app.state.db_sessions, record)

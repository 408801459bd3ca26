"""Search outcomes: one row per resident's search through the action server, holding nothing of what was typed."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from api.db.models import SearchOutcome

UNCLASSIFIED = "unclassified"


def add_search_outcome(
    session: Session, *, searched_on: date, need: str, community_area: str | None, language: str, good: bool
) -> SearchOutcome:
    """Record one search's outcome, committed."""
    row = SearchOutcome(searched_on=searched_on, need=need, community_area=community_area, language=language, good=good)
    session.add(row)
    session.commit()
    return row

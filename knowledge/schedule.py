"""Open now? Computed from a program's weekly hours in Chicago time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from knowledge.schema import Schedule

CHICAGO = ZoneInfo("America/Chicago")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_open(schedule: Schedule | None, at: dt.datetime) -> bool | None:
    """True/False from the weekly hours; None when they are unknown (never guess a resident into a closed door)."""
    if schedule is None:
        return None
    if schedule.always_open:
        return True
    if not schedule.weekly:
        return None
    local = at.astimezone(CHICAGO) if at.tzinfo else at.replace(tzinfo=CHICAGO)
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    now = local.hour * 60 + local.minute
    for span in schedule.weekly:
        opens, closes = _minutes(span.opens), _minutes(span.closes)
        if closes > opens:
            if today in span.days and opens <= now < closes:
                return True
        else:  # runs past midnight
            if today in span.days and now >= opens:
                return True
            if yesterday in span.days and now < closes:
                return True
    return False

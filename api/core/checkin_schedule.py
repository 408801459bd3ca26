"""When a follow-up check-in may go out: the rounds a referral is due for, and the hours residents may be texted.

Pure functions of the clock, so the schedule is tested at any hour (tests/api/test_checkins.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def aware(at: datetime) -> datetime:
    """SQLite hands back the UTC wall clock without its zone."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def may_send_at(now: datetime, *, hours: tuple[int, int], zone: str) -> bool:
    """Within the sending hours on the local clock: 9-21 allows 9:00 to 20:59 in Chicago, whatever the server's zone
    or the season (daylight saving time moves UTC, not this)."""
    local = aware(now).astimezone(ZoneInfo(zone))
    start, end = hours
    return start <= local.hour < end


@dataclass(frozen=True)
class Due:
    send: int | None  # the round to send now (1-based), if any
    skip: tuple[int, ...]  # earlier rounds never sent, overtaken by a later one, or a round sent too late to help


def due_rounds(
    created_at: datetime, now: datetime, *, after_days: list[float], late_days: float, claimed: set[int]
) -> Due:
    """Which round of a referral to send now, and which to record as skipped.

    After a long pause of the scheduler several rounds may be due: only the latest is sent (one text, not a burst),
    and only if it is less than late_days overdue.
    """
    created = aware(created_at)
    due = [n for n, days in enumerate(after_days, 1) if created + timedelta(days=days) <= now]
    if not due or due[-1] in claimed:
        return Due(None, ())
    latest = due[-1]
    earlier = tuple(n for n in due[:-1] if n not in claimed)
    if now - (created + timedelta(days=after_days[latest - 1])) > timedelta(days=late_days):
        return Due(None, (*earlier, latest))
    return Due(latest, earlier)

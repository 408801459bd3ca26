"""The Insights page's figures (api/routes/console_insights.py): needs by community area and week, referral statuses
and outcomes by week, time to first contact, and searches that found nothing good. Aggregate only.

The queries are portable SQL (a join, MIN and GROUP BY: the same on SQLite and PostgreSQL). A referral's needs are a
JSON list, and weeks are ISO weeks of the UTC day, so both are counted here in Python, as the needs report does. Every
count goes into a protected cube (api/core/suppression.py) before anyone reads it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.hazards import HAZARD_TYPES
from api.core.suppression import ALL, SMALL, Axis, Cube, protected_cube
from api.crud.referrals import TRANSITIONS
from api.crud.search_outcomes import UNCLASSIFIED
from api.db.models import HazardReport, Referral, ReferralEvent, SearchOutcome
from knowledge.geo import area_by_name, community_areas

WEEKS = 12
NOT_KNOWN = "Not known"  # a community area not given, or not one of the 77
OTHER = "other"  # a referral with no need, or one that is not a taxonomy category
NO_OUTCOME = "none"
STATUS_ORDER = tuple(TRANSITIONS)
# The console's order; tests check it is every outcome api/crud/referrals.py knows.
OUTCOME_ORDER = ("served", "unreachable", "declined", "no_capacity", "redirected")
CONTACTED = "contacted"


# --- weeks ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    monday: date

    @property
    def key(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def week_of(day: date) -> Week:
    return Week(day - timedelta(days=day.weekday()))


def last_weeks(today: date, count: int = WEEKS) -> list[Week]:
    """The ISO week of `today` and the count - 1 before it, oldest first."""
    this = week_of(today)
    return [Week(this.monday - timedelta(weeks=n)) for n in range(count - 1, -1, -1)]


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (written in UTC); PostgreSQL aware ones, in the session's time zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- the queries ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralFact:
    created_at: datetime
    needs: tuple[str, ...]
    community_area: str | None
    status: str
    outcome: str | None
    first_contacted_at: datetime | None


def referral_facts(session: Session, *, since: datetime) -> list[ReferralFact]:
    """What the figures need of each referral created since then; no code, contact, name or conversation."""
    first_contact = (
        select(ReferralEvent.referral_id, func.min(ReferralEvent.at).label("at"))
        .where(ReferralEvent.to_status == CONTACTED)
        .group_by(ReferralEvent.referral_id)
        .subquery()
    )
    query = (
        select(
            Referral.created_at,
            Referral.needs,
            Referral.community_area,
            Referral.status,
            Referral.outcome,
            first_contact.c.at,
        )
        .outerjoin(first_contact, first_contact.c.referral_id == Referral.id)
        .where(Referral.created_at >= since)
        .order_by(Referral.id)
    )
    return [
        ReferralFact(utc(created), tuple(needs or ()), area, status, outcome, utc(contacted) if contacted else None)
        for created, needs, area, status, outcome, contacted in session.execute(query)
    ]


def search_outcome_counts(session: Session, *, since: date) -> list[tuple[date, str, str | None, bool, int]]:
    """(day, need, community area, good, searches) for the searches recorded since that day."""
    query = (
        select(
            SearchOutcome.searched_on,
            SearchOutcome.need,
            SearchOutcome.community_area,
            SearchOutcome.good,
            func.count(),
        )
        .where(SearchOutcome.searched_on >= since)
        .group_by(SearchOutcome.searched_on, SearchOutcome.need, SearchOutcome.community_area, SearchOutcome.good)
    )
    return [(day, need, area, bool(good), count) for day, need, area, good, count in session.execute(query)]


def hazard_report_facts(session: Session, *, since: datetime) -> list[tuple[datetime, str, str | None]]:
    """(created, hazard type, community area) of the hazard reports made since then: never the address or a point."""
    query = select(HazardReport.created_at, HazardReport.hazard_type, HazardReport.community_area).where(
        HazardReport.created_at >= since
    )
    return [(utc(created), kind, area) for created, kind, area in session.execute(query)]


# --- the figures ------------------------------------------------------------------------------------------------


def area_names() -> list[str]:
    """The 77 community areas' names, alphabetically."""
    return sorted((a.name for a in community_areas().values()), key=str.casefold)


def area_of(name: str | None) -> str:
    """The official name of the community area a referral or a search gives, or NOT_KNOWN."""
    area = area_by_name(name) if name else None
    return area.name if area else NOT_KNOWN


@dataclass(frozen=True)
class ContactTimes:
    contacted: str  # a count, "<5" or "hidden"
    median_hours: float | None  # only where at least SMALL referrals were contacted
    p90_hours: float | None


@dataclass
class Insights:
    weeks: list[Week]
    needs: tuple[str, ...]  # the referral needs axis: taxonomy slugs, then OTHER
    search_needs: tuple[str, ...]  # taxonomy slugs, then UNCLASSIFIED
    areas: tuple[str, ...]  # the 77 names, then NOT_KNOWN
    referrals: Cube  # need x area x week x status x outcome
    contacts: Cube  # need x week: referrals first contacted
    searches: Cube  # need x area x week x good
    hazards: Cube  # hazard type x area x week
    hours: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    @property
    def start(self) -> date:
        return self.weeks[0].monday

    @property
    def end(self) -> date:
        return self.weeks[-1].sunday

    def contact_times(self, need: str, week: str) -> ContactTimes:
        hours = sorted(self.hours.get((need, week), []))
        if len(hours) < SMALL:
            return ContactTimes(self.contacts.shown(need=need, week=week), None, None)
        p90 = statistics.quantiles(hours, n=10, method="inclusive")[8]
        return ContactTimes(
            self.contacts.shown(need=need, week=week), round(statistics.median(hours), 1), round(p90, 1)
        )


def _needs_of(needs: Sequence[str], known: set[str]) -> list[str]:
    kept = [n for n in needs if n in known]
    return kept if kept and len(kept) == len(needs) else [*kept, OTHER]


def build_insights(session: Session, *, today: date, categories: Iterable[str], weeks: int = WEEKS) -> Insights:
    """Every figure of the page for the `weeks` ISO weeks up to today's, protected."""
    period = last_weeks(today, weeks)
    keys = {w.monday: w.key for w in period}
    slugs = tuple(categories)
    known = set(slugs)
    areas = (*area_names(), NOT_KNOWN)
    week_axis = Axis("week", tuple(keys.values()))
    since = datetime.combine(period[0].monday, time(0), tzinfo=UTC)

    facts = [f for f in referral_facts(session, since=since) if week_of(f.created_at.date()).monday in keys]
    referral_records = []
    contact_records = []
    hours: dict[tuple[str, str], list[float]] = defaultdict(list)
    for fact in facts:
        needs = _needs_of(fact.needs, known)
        week = keys[week_of(fact.created_at.date()).monday]
        outcome = fact.outcome if fact.outcome in OUTCOME_ORDER else NO_OUTCOME
        if fact.status not in STATUS_ORDER:
            continue
        referral_records.append((needs, area_of(fact.community_area), week, fact.status, outcome))
        if fact.first_contacted_at is not None:
            contact_records.append((needs, week))
            waited = max((fact.first_contacted_at - fact.created_at).total_seconds() / 3600, 0.0)
            for need in (*needs, ALL):
                for when in (week, ALL):
                    hours[(need, when)].append(waited)
    need_axis = Axis("need", (*slugs, OTHER))
    referrals = protected_cube(
        [
            need_axis,
            Axis("area", areas),
            week_axis,
            Axis("status", STATUS_ORDER),
            Axis("outcome", (*OUTCOME_ORDER, NO_OUTCOME)),
        ],
        referral_records,
        # The views the page shows: needs by area and week; statuses by week; outcomes by week.
        published=(frozenset({"status", "outcome"}), frozenset({"area", "outcome"}), frozenset({"area", "status"})),
    )
    contacts = protected_cube([need_axis, week_axis], contact_records)

    search_needs = (*slugs, UNCLASSIFIED)
    searches = Cube((Axis("need", search_needs), Axis("area", areas), week_axis, Axis("good", ("yes", "no"))))
    for day, need, area, good, count in search_outcome_counts(session, since=period[0].monday):
        monday = week_of(day).monday
        if monday in keys:
            need = need if need in search_needs else UNCLASSIFIED
            searches.add(need, area_of(area), keys[monday], "yes" if good else "no", weight=count)
    searches.protect()

    hazard_records = [
        (kind, area_of(area), keys[week_of(created.date()).monday])
        for created, kind, area in hazard_report_facts(session, since=since)
        if week_of(created.date()).monday in keys and kind in HAZARD_TYPES
    ]
    hazards = protected_cube([Axis("hazard", HAZARD_TYPES), Axis("area", areas), week_axis], hazard_records)
    return Insights(
        period, need_axis.categories, search_needs, areas, referrals, contacts, searches, hazards, dict(hours)
    )

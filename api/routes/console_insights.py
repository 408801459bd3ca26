"""The console's Insights page for supervisors, /staff/insights: aggregate figures for the CSCC, nothing else.

- Needs named in referrals by community area and week: a map of the 77 community areas (inline SVG drawn here, see
  api/core/choropleth.py) with the same numbers in a table, and a bar chart of weekly counts.
- Searches residents made through the bot that found nothing good, by need and community area (search_outcomes,
  written by the program search: api/core/search_record.py).
- Referrals by status and by outcome per week, and the hours from a referral to its first "contacted" status.
- A CSV of each table: /staff/insights.csv?table=needs|searches|outcomes|contact, with the page's filters.

Every number comes from a protected cube (api/core/suppression.py): counts under 5 show as "<5", and where a row,
column or total would give such a count back by subtraction one more number is "hidden". The period is the last 12
ISO weeks (UTC days), fixed: a choice of periods would let one period be subtracted from another.

Sessions, roles, error pages and headers are console.py's own, imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.core.auth import require_role
from api.core.choropleth import HEIGHT, WIDTH, area_shapes
from api.core.hazards import FOR_311, HAZARD_TYPES
from api.core.suppression import ALL, HIDDEN, SMALL
from api.crud.insights import NO_OUTCOME, NOT_KNOWN, OTHER, OUTCOME_ORDER, STATUS_ORDER, WEEKS, Insights, Week
from api.crud.insights import build_insights as build
from api.crud.search_outcomes import UNCLASSIFIED
from api.db.models import StaffUser
from api.dependencies import SessionDep, TaxonomyDep
from api.routes.console import HEADERS, OUTCOME_LABELS, STATUSES, ConsoleRoute, Staff, choice, needs_labels, render
from knowledge.catalog import Taxonomy

router = APIRouter(prefix="/staff", route_class=ConsoleRoute, include_in_schema=False)

TABLES = {"needs", "searches", "outcomes", "contact", "hazards"}
# Map shades: the lower bound of each band of shown counts; "<5" and "hidden" are band 0 (hatched).
BANDS = (SMALL, 10, 25, 50, 100)
NEEDS_OTHER = "Other or not given"


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Filters:
    need: str  # a referral need (taxonomy slug or OTHER), or "" for all
    week: str  # an ISO week key of the period, or "" for all of it

    @property
    def need_key(self) -> str:
        return self.need or ALL

    @property
    def search_need(self) -> str:
        return UNCLASSIFIED if self.need == OTHER else self.need_key

    @property
    def week_key(self) -> str:
        return self.week or ALL


def week_label(week: Week) -> str:
    return f"{week.key}: {week.monday:%b %-d} to {week.sunday:%b %-d}"


def period_label(start: date, end: date) -> str:
    return f"{start:%b %-d, %Y} to {end:%b %-d, %Y}"


def band(value: int | None) -> int:
    return sum(1 for low in BANDS if value is not None and value >= low)


def referrals_text(shown: str) -> str:
    return "count hidden" if shown == HIDDEN else f"{shown} referrals"


def figures(
    session: Session, user: StaffUser, taxonomy: Taxonomy, need: str, week: str
) -> tuple[Insights, Filters, dict[str, str]]:
    """Supervisors only: the figures, the checked filters and the needs' labels."""
    require_role("supervisor")(user)
    data = build(session, today=today(), categories=taxonomy.categories)
    labels = {**needs_labels(taxonomy), OTHER: NEEDS_OTHER, UNCLASSIFIED: "Unclassified", ALL: "All needs"}
    filters = Filters(
        need=choice(need, {n: labels[n] for n in data.needs}, "need"),
        week=choice(week, [w.key for w in data.weeks], "week"),
    )
    return data, filters, labels


def span(data: Insights, filters: Filters) -> tuple[date, date]:
    if filters.week:
        chosen = next(w for w in data.weeks if w.key == filters.week)
        return chosen.monday, chosen.sunday
    return data.start, data.end


# --- the page ---------------------------------------------------------------------------------------------------


def map_areas(data: Insights, filters: Filters) -> list[dict[str, Any]]:
    cube = data.referrals
    shapes = []
    for shape in area_shapes():
        coordinates = {"need": filters.need_key, "area": shape.name, "week": filters.week_key}
        shown = cube.shown(**coordinates, status=ALL, outcome=ALL)
        value = cube.value(**coordinates, status=ALL, outcome=ALL)
        shapes.append({"path": shape.path, "band": band(value), "title": f"{shape.name}: {referrals_text(shown)}"})
    return shapes


def area_rows(data: Insights, filters: Filters) -> list[tuple[str, str]]:
    """(area, referrals) for the 77 areas, then "Not known", then all areas."""
    cube = data.referrals
    rows = [
        (area, cube.shown(need=filters.need_key, area=area, week=filters.week_key, status=ALL, outcome=ALL))
        for area in data.areas
    ]
    total = cube.shown(need=filters.need_key, area=ALL, week=filters.week_key, status=ALL, outcome=ALL)
    return [*rows, ("All areas", total)]


def week_bars(data: Insights, filters: Filters) -> list[dict[str, Any]]:
    cube = data.referrals
    bars = []
    for week in data.weeks:
        coordinates = {"need": filters.need_key, "area": ALL, "week": week.key, "status": ALL, "outcome": ALL}
        bars.append(
            {
                "key": week.key,
                "label": f"{week.key} ({week.monday:%b %-d})",
                "shown": cube.shown(**coordinates),
                "value": cube.value(**coordinates) or 0,
                "chosen": week.key == filters.week,
            }
        )
    top = max((b["value"] for b in bars), default=0) or 1
    for b in bars:
        b["width"] = round(360 * b["value"] / top)
    return bars


def search_rows(data: Insights, filters: Filters, labels: dict[str, str]) -> list[dict[str, str]]:
    """All needs: a row per need. One need: a row per community area. Then the total."""
    cube = data.searches

    def row(label: str, need: str, area: str) -> dict[str, str]:
        cells = {g: cube.shown(need=need, area=area, week=filters.week_key, good=g) for g in (ALL, "yes", "no")}
        return {
            "label": label,
            "need": need,
            "area": area,
            "searches": cells[ALL],
            "good": cells["yes"],
            "not": cells["no"],
        }

    if not filters.need:
        return [*(row(labels.get(n, n), n, ALL) for n in data.search_needs), row("All needs", ALL, ALL)]
    need = filters.search_need
    return [*(row(a, need, a) for a in data.areas), row("All areas", need, ALL)]


def hazard_rows(data: Insights, week: str) -> list[dict[str, Any]]:
    """Hazard reports for the shown week(s): a row per community area (then "Not known", then all areas), a column per
    hazard type and the total. Every need: hazards are not a need, so the need filter does not apply."""
    cube = data.hazards
    return [
        {
            "label": "All areas" if area == ALL else area,
            "area": area,
            "cells": [cube.shown(hazard=kind, area=area, week=week) for kind in (*HAZARD_TYPES, ALL)],
        }
        for area in (*data.areas, ALL)
    ]


HAZARD_COLUMNS = {kind: FOR_311[kind] for kind in HAZARD_TYPES}


def outcome_rows(data: Insights, filters: Filters, by: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per week (then the whole period): referrals created that week by their status or outcome now, and all."""
    cube = data.referrals
    other = "outcome" if by == "status" else "status"
    rows = []
    for key, label in [
        *((w.key, f"{w.key} ({w.monday:%b %-d})") for w in data.weeks),
        (ALL, f"All {len(data.weeks)} weeks"),
    ]:
        cells = [cube.shown(need=filters.need_key, area=ALL, week=key, **{by: k, other: ALL}) for k in (*keys, ALL)]
        rows.append({"week": key, "label": label, "cells": cells})
    return rows


def contact_rows(data: Insights, filters: Filters, labels: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for need in (ALL, *data.needs):
        times = data.contact_times(need, filters.week_key)
        rows.append({"need": need, "label": labels.get(need, need), "times": times})
    return rows


OUTCOME_COLUMNS = {**{o: OUTCOME_LABELS.get(o, o) for o in OUTCOME_ORDER}, NO_OUTCOME: "No outcome yet"}


@router.get("/insights", response_class=HTMLResponse)
def insights(
    request: Request,
    session: SessionDep,
    user: Staff,
    taxonomy: TaxonomyDep,
    need: Annotated[str, Query(max_length=64)] = "",
    week: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    data, filters, labels = figures(session, user, taxonomy, need, week)
    start, end = span(data, filters)
    need_label = labels[filters.need_key] if filters.need else "All needs"
    query = urlencode({k: v for k, v in (("need", filters.need), ("week", filters.week)) if v})
    return render(
        "insights.html",
        user,
        request=request,
        filters=filters,
        need_options={n: labels[n] for n in data.needs},
        weeks=data.weeks,
        week_label=week_label,
        period=period_label(data.start, data.end),
        shown_period=period_label(start, end),
        need_label=need_label,
        map_areas=map_areas(data, filters),
        map_width=WIDTH,
        map_height=HEIGHT,
        bands=BANDS,
        areas=area_rows(data, filters),
        not_known=NOT_KNOWN,
        bars=week_bars(data, filters),
        searches=search_rows(data, filters, labels),
        statuses=[(s, STATUSES.get(s, s)) for s in STATUS_ORDER],
        status_rows=outcome_rows(data, filters, "status", STATUS_ORDER),
        outcome_columns=OUTCOME_COLUMNS,
        outcome_rows=outcome_rows(data, filters, "outcome", tuple(OUTCOME_COLUMNS)),
        contact=contact_rows(data, filters, labels),
        hazard_columns=HAZARD_COLUMNS,
        hazards=hazard_rows(data, filters.week_key),
        small=SMALL,
        hidden=HIDDEN,
        week_count=WEEKS,
        query=query,
    )


# --- CSV --------------------------------------------------------------------------------------------------------


def csv_rows(table: str, data: Insights, filters: Filters, labels: dict[str, str]) -> list[list[str]]:
    week = filters.week_key
    weeks = [filters.week] if filters.week else [*(w.key for w in data.weeks), ALL]
    cube = data.referrals
    if table == "needs":
        rows = [["need", "community_area", "week", "referrals"]]
        for area in (*data.areas, ALL):
            for key in weeks:
                shown = cube.shown(need=filters.need_key, area=area, week=key, status=ALL, outcome=ALL)
                rows.append([filters.need_key, "All areas" if area == ALL else area, key, shown])
        return rows
    if table == "searches":
        rows = [["need", "community_area", "week", "searches", "good_result", "no_good_result"]]
        for r in search_rows(data, filters, labels):
            rows.append(
                [r["need"], "All areas" if r["area"] == ALL else r["area"], week, r["searches"], r["good"], r["not"]]
            )
        return rows
    if table == "outcomes":
        rows = [["need", "week", "measure", "value", "referrals"]]
        for key in [*(w.key for w in data.weeks), ALL]:
            common = {"need": filters.need_key, "area": ALL, "week": key}
            rows += [
                [filters.need_key, key, "status", s, cube.shown(**common, status=s, outcome=ALL)] for s in STATUS_ORDER
            ]
            rows += [
                [filters.need_key, key, "outcome", o, cube.shown(**common, status=ALL, outcome=o)]
                for o in OUTCOME_COLUMNS
            ]
            rows.append([filters.need_key, key, "total", ALL, cube.shown(**common, status=ALL, outcome=ALL)])
        return rows
    if table == "hazards":
        rows = [["community_area", "week", *HAZARD_TYPES, "all_hazards"]]
        for key in weeks:
            for r in hazard_rows(data, key):
                rows.append([r["label"], key, *r["cells"]])
        return rows
    rows = [["need", "week", "contacted_referrals", "median_hours", "p90_hours"]]
    for r in contact_rows(data, filters, labels):
        t = r["times"]
        hours = ["" if h is None else str(h) for h in (t.median_hours, t.p90_hours)]
        rows.append([r["need"], week, t.contacted, *hours])
    return rows


@router.get("/insights.csv")
def insights_csv(
    request: Request,
    session: SessionDep,
    user: Staff,
    taxonomy: TaxonomyDep,
    table: Annotated[str, Query(max_length=10)] = "needs",
    need: Annotated[str, Query(max_length=64)] = "",
    week: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    data, filters, labels = figures(session, user, taxonomy, need, week)
    table = choice(table, TABLES, "table") or "needs"
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(table, data, filters, labels))
    # The days and the need the file covers: outcomes are every week's; time to first contact is every need's.
    start, end = (data.start, data.end) if table == "outcomes" else span(data, filters)
    need = "" if table in ("contact", "hazards") else filters.need
    name = "-".join(p for p in ("navigator-insights", table, need, f"{start}-to-{end}") if p)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}.csv"'},
    )

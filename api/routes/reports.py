"""Reports for the CSCC: unmet and met needs by community area and week, aggregate only.

Small counts are shown as "<5" so that a row cannot point at one resident in a small area.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.core.auth import require_role
from api.core.suppression import shown
from api.crud.referrals import needs_by_area_and_week
from api.db.models import StaffUser
from api.dependencies import SessionDep

router = APIRouter(
    prefix="/api/v1/reports",
    tags=["reports"],
    responses={401: {"description": "No token, or a wrong or expired one."}, 403: {"description": "Not staff."}},
)
Staff = Annotated[StaffUser, Depends(require_role("outreach", "supervisor", "admin"))]


class NeedsRow(BaseModel):
    need: str
    community_area: str
    week: str
    referrals: str  # a number, or "<5"


@router.get(
    "/needs",
    response_model=None,
    responses={200: {"description": "The rows, as JSON or (format=csv) as CSV.", "content": {"text/csv": {}}}},
)
def needs(
    session: SessionDep,
    _: Staff,
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> list[NeedsRow] | Response:
    since = datetime.now(UTC) - timedelta(weeks=weeks)
    rows = [
        NeedsRow(need=need, community_area=area, week=week.isoformat(), referrals=shown(count))
        for need, area, week, count in needs_by_area_and_week(session, since=since)
    ]
    if fmt == "json":
        return rows
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["need", "community_area", "week", "referrals"])
    writer.writerows([r.need, r.community_area, r.week, r.referrals] for r in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="navigator-needs.csv"'},
    )

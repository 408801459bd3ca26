"""The staff console's catalog pages: how fresh each program's facts are, and flags saying they are out of date.

`/staff/catalog` lists every program with the day its facts were last verified (`verification.verified_on`), the days
since, "Stale" when that is more than NAVIGATOR_CATALOG_STALE_DAYS (the rule of `python -m knowledge stale`), and its
open flags. On a program's page outreach workers and supervisors flag it with a reason; supervisors resolve flags once
the catalog is corrected. Every flag and resolution goes on the audit log with the change, in one commit.

Sessions, CSRF, error pages and templates are console.py's own (imported, not copied): the same cookie, the same
token on every form, the same headers.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.core.auth import require_role
from api.core.settings import CatalogSettings
from api.crud.program_flags import MAX_REASON, FlagError, flag_program, flags_of, get_flag, open_flag_counts
from api.crud.program_flags import resolve_flag as resolve
from api.crud.referrals import audit
from api.db.models import StaffUser
from api.dependencies import SessionDep, TaxonomyDep
from api.routes import referrals
from api.routes.console import (
    CHICAGO,
    ConsoleRoute,
    Poster,
    Staff,
    choice,
    needs_labels,
    redirect,
    render,
    staff_names,
)
from knowledge.freshness import stale_programs
from knowledge.schema import Program

router = APIRouter(prefix="/staff/catalog", route_class=ConsoleRoute, include_in_schema=False)

SHOW = {"stale": "Stale only", "flagged": "With open flags only"}
DONE = {"flagged": "Flag added: supervisors see it here and in the catalog list.", "resolved": "Flag resolved."}


@lru_cache(maxsize=1)
def catalog_settings() -> CatalogSettings:
    return CatalogSettings()


CatalogSettingsDep = Annotated[CatalogSettings, Depends(catalog_settings)]


def today() -> dt.date:
    """Verification dates are Chicago days: count from Chicago's today, not UTC's."""
    return dt.datetime.now(CHICAGO).date()


def catalog_of(request: Request) -> dict[str, Program]:
    return request.app.state.searcher.programs


def program_or_404(request: Request, program_id: str) -> Program:
    program = catalog_of(request).get(program_id)
    if program is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No program with this id in the catalog.")
    return program


def freshness(programs: list[Program], stale_days: int) -> tuple[dt.date, set[str]]:
    """Today, and the ids of the programs whose facts were verified more than stale_days ago."""
    day = today()
    return day, {s.program.id for s in stale_programs(programs, stale_days, day)}


@router.get("", response_class=HTMLResponse)
def catalog(
    request: Request,
    session: SessionDep,
    user: Staff,
    taxonomy: TaxonomyDep,
    settings: CatalogSettingsDep,
    show: str = "",
) -> Response:
    require_role("outreach", "supervisor")(user)
    choice(show, SHOW, "view")
    programs = list(catalog_of(request).values())
    day, stale = freshness(programs, settings.catalog_stale_days)
    flags = open_flag_counts(session)
    labels = needs_labels(taxonomy)
    rows = [
        {
            "id": p.id,
            "name": p.name.en,
            "categories": [labels.get(c, c) for c in p.categories],
            "verified_on": p.verification.verified_on,
            "days": (day - p.verification.verified_on).days,
            "stale": p.id in stale,
            "open_flags": flags.get(p.id, 0),
        }
        for p in programs
    ]
    rows.sort(key=lambda r: (r["verified_on"], r["name"].casefold(), r["id"]))
    shown = [r for r in rows if (show != "stale" or r["stale"]) and (show != "flagged" or r["open_flags"])]
    return render(
        "catalog.html",
        user,
        request=request,
        rows=shown,
        total=len(rows),
        stale_count=len(stale),
        flagged_count=sum(1 for r in rows if r["open_flags"]),
        stale_days=settings.catalog_stale_days,
        show=show,
        show_options=SHOW,
        today=day,
    )


def program_page(
    request: Request,
    session: Session,
    user: StaffUser,
    taxonomy: Any,
    settings: CatalogSettings,
    program: Program,
    *,
    message: str = "",
    reason: str = "",
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    day, stale = freshness([program], settings.catalog_stale_days)
    flags = flags_of(session, program_id=program.id)
    labels = needs_labels(taxonomy)
    return render(
        "program.html",
        user,
        request=request,
        status_code=status_code,
        p=program,
        categories=[labels.get(c, c) for c in program.categories],
        days=(day - program.verification.verified_on).days,
        stale=program.id in stale,
        stale_days=settings.catalog_stale_days,
        open_flags=[f for f in flags if f.resolved_at is None],
        resolved_flags=[f for f in flags if f.resolved_at is not None],
        names=staff_names(session),
        max_reason=MAX_REASON,
        message=message,
        reason=reason,
        done=DONE.get(done, ""),
    )


@router.get("/{program_id}", response_class=HTMLResponse)
def program_view(
    request: Request,
    program_id: str,
    session: SessionDep,
    user: Staff,
    taxonomy: TaxonomyDep,
    settings: CatalogSettingsDep,
    done: str = "",
) -> Response:
    require_role("outreach", "supervisor")(user)
    program = program_or_404(request, program_id)
    return program_page(request, session, user, taxonomy, settings, program, done=done)


@router.post("/{program_id}/flags", response_class=HTMLResponse)
def program_flag(
    request: Request,
    program_id: str,
    session: SessionDep,
    user: Poster,
    taxonomy: TaxonomyDep,
    settings: CatalogSettingsDep,
    # No max_length here: a reason of any length gets the page's own message, not the generic 422 page (the form
    # stops at MAX_REASON, and Starlette caps a form field at 1 MB).
    reason: Annotated[str, Form()] = "",
) -> Response:
    require_role("outreach", "supervisor")(user)
    program = program_or_404(request, program_id)
    try:
        flag = flag_program(session, program_id=program.id, reason=reason, flagged_by=user.id)
    except FlagError as exc:
        session.rollback()
        return program_page(
            request, session, user, taxonomy, settings, program,
            message=f"Not flagged: {exc}.", reason=reason, status_code=422,
        )  # fmt: skip
    # The reason stays in program_flags; the audit entry says who flagged what, like a note's entry.
    audit(session, actor=referrals.actor(user), action="flag_program", code=None, detail=f"{program.id} flag {flag.id}")
    session.commit()
    return redirect(f"/staff/catalog/{program.id}?done=flagged")


@router.post("/{program_id}/flags/{flag_id}/resolve", response_class=HTMLResponse)
def program_flag_resolve(
    request: Request,
    program_id: str,
    flag_id: int,
    session: SessionDep,
    user: Poster,
    taxonomy: TaxonomyDep,
    settings: CatalogSettingsDep,
) -> Response:
    require_role("supervisor")(user)
    program = program_or_404(request, program_id)
    flag = get_flag(session, flag_id=flag_id)
    if flag is None or flag.program_id != program.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such flag on this program.")
    try:
        resolve(session, flag=flag, resolved_by=user.id)
    except FlagError as exc:
        session.rollback()
        return program_page(
            request, session, user, taxonomy, settings, program, message=f"Not changed: {exc}.", status_code=409
        )
    audit(
        session,
        actor=referrals.actor(user),
        action="resolve_program_flag",
        code=None,
        detail=f"{program.id} flag {flag.id}",
    )
    session.commit()
    return redirect(f"/staff/catalog/{program.id}?done=resolved")

"""The staff console at /staff: server-rendered pages (Jinja2, autoescaped) over the same functions as the JSON api.

Sign-in, roles, audit and status rules are not written twice: the console calls the JSON routes' own functions
(`auth.token`, `current_staff`, `require_role`, `referrals.detail`, `set_status`, `note`, `assign`, `audit_log`,
`reports.needs`), so an outreach worker, a supervisor and an admin may do exactly what the api lets them do, and
every read of a resident's contact is audited the same way. An HTTPException those functions raise becomes an HTML
page (ConsoleRoute), never JSON.

The session is the staff token of the api in a cookie (HttpOnly, SameSite=Strict, Path=/staff, Secure over https).
Every form POST carries a CSRF token, an HMAC of that cookie with the auth secret; sign-in uses a double-submit
nonce. Pages have the web chat's headers (no-store, no-referrer, nothing from elsewhere) with `form-action 'self'`;
there is no JavaScript. Request logs hold paths only: never a contact, a name or a note.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.auth import AuthSettingsDep, current_staff, require_role
from api.core.settings import AuthSettings
from api.core.suppression import SMALL
from api.crud.checkins import TEXTED, checkins_of
from api.crud.referrals import NEEDS_OUTCOME, TRANSITIONS, audit, list_referrals, status_counts
from api.crud.staff import ROLES, StaffError, create_staff, get_staff
from api.db.models import Referral, StaffUser
from api.dependencies import DatabaseSettingsDep, SessionDep, TaxonomyDep
from api.routes import auth, referrals, reports
from api.routes.checkins import checkin_settings
from api.routes.web import SECURITY_HEADERS, STATIC_DIR
from api.schemas.referrals import AssignIn, NoteIn, ReferralDetail, StatusChange

COOKIE = "navigator_staff"
LOGIN_COOKIE = "navigator_staff_login"
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "console"
CHICAGO = ZoneInfo("America/Chicago")
PAGE_SIZE = 50
HEADERS = {
    **SECURITY_HEADERS,
    # The web chat's policy, except that the console's forms post to the console.
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Robots-Tag": "noindex, nofollow",
}
STATUSES = {
    "new": "New",
    "assigned": "Assigned",
    "contacted": "Contacted",
    "connected": "Connected",
    "unable_to_reach": "Unable to reach",
    "declined": "Declined",
    "closed": "Closed",
}
OUTCOME_LABELS = {
    "served": "Served",
    "unreachable": "Unreachable",
    "declined": "Declined",
    "no_capacity": "No capacity",
    "redirected": "Redirected elsewhere",
}
# The outcome a status change most often has, preselected (it can be changed before sending).
LIKELY_OUTCOME = {"connected": "served", "unable_to_reach": "unreachable", "declined": "declined"}
ACTION_LABELS = {
    "contacted": "Mark contacted",
    "connected": "Mark connected",
    "unable_to_reach": "Mark unable to reach",
    "declined": "Mark declined",
    "closed": "Close the referral",
}
WAITING = {"1": "over 1 day", "2": "over 2 days", "7": "over a week", "30": "over 30 days"}
LANGUAGES = {"en": "English", "es": "Spanish"}
DONE = {"status": "Status changed.", "note": "Note added.", "assign": "Referral assigned."}
NEXT_PATH = re.compile(r"^/staff(/[A-Za-z0-9._~/-]*)?(\?[A-Za-z0-9._~=&%+-]*)?$")


def refusal(exc: HTTPException) -> Response:
    if exc.status_code in (status.HTTP_303_SEE_OTHER, status.HTTP_302_FOUND):
        return RedirectResponse((exc.headers or {})["Location"], status.HTTP_303_SEE_OTHER, headers=HEADERS)
    extra = {k: v for k, v in (exc.headers or {}).items() if k == "Retry-After"}
    return render("error.html", None, status_code=exc.status_code, headers=extra, message=exc.detail)


class ConsoleRoute(APIRoute):
    """A refusal from a dependency or a reused api function (redirect to sign-in, 403, 404, 409 ...) is a page."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                return refusal(exc)
            except RequestValidationError:
                message = "This address has a value the console does not know. Go back and choose from the lists."
                return render("error.html", None, status_code=422, message=message)

        return route


router = APIRouter(prefix="/staff", route_class=ConsoleRoute, include_in_schema=False)


# --- templates -------------------------------------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def chicago_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return as_utc(moment).astimezone(CHICAGO).strftime("%b %-d, %Y, %-I:%M %p %Z")


def waited(moment: datetime) -> str:
    minutes = int((datetime.now(UTC) - as_utc(moment)).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


@cache
def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = chicago_time
    env.filters["iso"] = lambda moment: as_utc(moment).isoformat() if moment else ""
    env.filters["waited"] = waited
    env.globals.update(statuses=STATUSES, outcomes=OUTCOME_LABELS, languages=LANGUAGES)
    return env


def nav(user: StaffUser) -> list[tuple[str, str]]:
    pages = {
        "outreach": [
            ("/staff", "Queue"),
            ("/staff/catalog", "Catalog"),
            ("/staff/events", "Events"),
            ("/staff/reports", "Reports"),
        ],
        "supervisor": [
            ("/staff", "Queue"),
            ("/staff/catalog", "Catalog"),
            ("/staff/events", "Events"),
            ("/staff/reports", "Reports"),
            ("/staff/insights", "Insights"),
            ("/staff/audit", "Audit log"),
        ],
        "admin": [("/staff/accounts", "Accounts"), ("/staff/reports", "Reports")],
    }
    return pages.get(user.role, [])


def render(
    name: str,
    user: StaffUser | None,
    *,
    request: Request | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page; with a signed-in user it has the navigation, the sign-out form and the CSRF token for its forms."""
    if user is not None and request is not None:
        context.update(nav=nav(user), current=request.url.path, csrf=csrf_for(request.cookies.get(COOKIE, ""), request))
    page = templates().get_template(name).render(user=user, status_code=status_code, **context)
    return HTMLResponse(page, status_code=status_code, headers={**HEADERS, **(headers or {})})


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status.HTTP_303_SEE_OTHER, headers=HEADERS)


@router.get("/static/staff.css")
def stylesheet() -> FileResponse:
    return FileResponse(STATIC_DIR / "staff.css", media_type="text/css; charset=utf-8", headers=HEADERS)


# --- session and CSRF ------------------------------------------------------------------------------------------


def csrf_for(value: str, request: Request) -> str:
    """The token a form must send back: an HMAC of the session (or sign-in nonce) cookie with the auth secret."""
    settings: AuthSettings = request.app.state.auth
    key = settings.auth_secret.get_secret_value().encode()
    return hmac.new(key, b"navigator staff console csrf\0" + value.encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, cookie: str, sent: str) -> bool:
    value = request.cookies.get(cookie, "")
    return bool(value) and hmac.compare_digest(sent.encode(), csrf_for(value, request).encode())


def signed_in(request: Request, settings: AuthSettingsDep, session: SessionDep) -> StaffUser:
    """The staff member of the session cookie, checked exactly as a bearer token is; otherwise off to sign in."""
    token = request.cookies.get(COOKIE)
    try:
        return current_staff(token, settings, session)
    except HTTPException:
        query = {"ended": "1"} if token else {}
        if request.method == "GET" and request.url.path not in ("/staff", "/staff/"):
            query["next"] = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = "/staff/login" + (f"?{urlencode(query)}" if query else "")
        raise HTTPException(status.HTTP_303_SEE_OTHER, "Sign in first.", {"Location": location}) from None


Staff = Annotated[StaffUser, Depends(signed_in)]


def posted_by(request: Request, user: Staff, csrf: Annotated[str, Form(max_length=128)] = "") -> StaffUser:
    """A signed-in staff member's form, sent from a console page (not from another site)."""
    if not csrf_ok(request, COOKIE, csrf):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "This form did not come from a console page, or the page is too old. Go back, reload it and try again.",
        )
    return user


Poster = Annotated[StaffUser, Depends(posted_by)]


def home(user: StaffUser) -> str:
    return "/staff/accounts" if user.role == "admin" else "/staff"


def login_page(
    request: Request,
    *,
    message: str = "",
    note: str = "",
    next_path: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        "login.html",
        None,
        status_code=status_code,
        headers=headers,
        message=message,
        note=note,
        next_path=next_path,
        csrf=csrf_for(nonce, request),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def safe_next(value: str) -> str:
    return value if NEXT_PATH.fullmatch(value or "") and not value.startswith("/staff/login") else ""


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    settings: AuthSettingsDep,
    session: SessionDep,
    ended: str = "",
    signed_out: str = "",
    next_path: Annotated[str, Query(alias="next", max_length=500)] = "",
) -> Response:
    try:
        user = current_staff(request.cookies.get(COOKIE), settings, session)
    except HTTPException:
        note = "Your session ended; sign in again." if ended else "You are signed out." if signed_out else ""
        return login_page(request, note=note, next_path=safe_next(next_path))
    return redirect(safe_next(next_path) or home(user))


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    settings: AuthSettingsDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
    wanted: Annotated[str, Form(alias="next", max_length=500)] = "",
) -> Response:
    next_path = safe_next(wanted)
    if not csrf_ok(request, LOGIN_COOKIE, csrf):
        message = "The sign-in form was too old. Please sign in again."
        return login_page(request, message=message, next_path=next_path, status_code=403)
    if not email or not password:
        return login_page(request, message="Enter your email and password.", next_path=next_path, status_code=422)
    # The api's own sign-in: the same per-account throttle (one budget for both), the same Argon2 check.
    form = OAuth2PasswordRequestForm(username=email, password=password)
    try:
        issued = await auth.token(form, request, settings, session)
    except HTTPException as exc:
        retry = {k: v for k, v in (exc.headers or {}).items() if k == "Retry-After"}
        return login_page(request, message=exc.detail, next_path=next_path, status_code=exc.status_code, headers=retry)
    user = current_staff(issued.access_token, settings, session)
    response = redirect(next_path or home(user))
    response.set_cookie(
        COOKIE,
        issued.access_token,
        max_age=issued.expires_in,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/staff")
    return response


@router.post("/logout")
def logout(request: Request, _: Poster) -> Response:
    response = redirect("/staff/login?signed_out=1")
    response.delete_cookie(
        COOKIE, path="/staff", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


# --- the queue -------------------------------------------------------------------------------------------------


def staff_names(session: Session) -> dict[int, str]:
    return {u.id: u.display_name for u in session.scalars(select(StaffUser))}


def choice(value: str, allowed: dict[str, str] | set[str] | list[str], name: str) -> str:
    if value and value not in allowed:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"Unknown {name}: choose one from the list.")
    return value


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    session: SessionDep,
    user: Staff,
    taxonomy: TaxonomyDep,
    state: Annotated[str, Query(alias="status", max_length=20)] = "",
    need: Annotated[str, Query(max_length=64)] = "",
    area: Annotated[str, Query(max_length=64)] = "",
    language: Annotated[str, Query(max_length=2)] = "",
    waiting: Annotated[str, Query(max_length=3)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    if user.role == "admin":
        return redirect(home(user))
    require_role("outreach", "supervisor")(user)
    areas = sorted(a for a in session.scalars(select(Referral.community_area).distinct()) if a)
    filters = {
        "status": choice(state, STATUSES, "status"),
        "need": choice(need, taxonomy.categories, "need"),
        "area": choice(area, areas, "community area"),
        "language": choice(language, LANGUAGES, "language"),
        "waiting": choice(waiting, WAITING, "waiting time"),
    }
    offset = (page - 1) * PAGE_SIZE
    common = {
        "session": session,
        "role": user.role,
        "user_id": user.id,
        "status": state or None,
        "need": filters["need"] or None,
        "community_area": filters["area"] or None,
        "language": filters["language"] or None,
        "created_before": datetime.now(UTC) - timedelta(days=int(filters["waiting"])) if filters["waiting"] else None,
    }
    rows = list_referrals(**common, limit=PAGE_SIZE + 1, offset=offset)
    kept = {k: v for k, v in filters.items() if v}
    return render(
        "queue.html",
        user,
        request=request,
        counts=status_counts(session, role=user.role, user_id=user.id),
        filters=filters,
        rows=[(r, safety_flags(r)) for r in rows[:PAGE_SIZE]],
        areas=areas,
        needs=needs_labels(taxonomy),
        waiting_options=WAITING,
        names=staff_names(session),
        page=page,
        newer=urlencode({**kept, "page": page - 1}) if page > 1 else "",
        older=urlencode({**kept, "page": page + 1}) if len(rows) > PAGE_SIZE else "",
        filtered=bool(kept),
    )


def needs_labels(taxonomy: Any) -> dict[str, str]:
    return {slug: labels["en"] for slug, labels in taxonomy.categories.items()}


# --- one referral ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    text: str
    stop: bool  # a prohibition ("Do not call") rather than a way that is safe


def safety_flags(r: Referral | ReferralDetail) -> list[Flag]:
    """How the resident said it is safe to reach them, in the words staff must act on."""
    if r.contact_method == "self":
        flags = [Flag("Do not contact: the resident will call the program", stop=True)]
    else:
        times = f" — {r.safe_times}" if r.safe_times else ""
        if r.safe_to_text and r.safe_to_call:
            flags = [Flag(f"Text or call{times}", stop=False)]
        elif r.safe_to_text:
            flags = [Flag(f"Text only{times}", stop=False), Flag("Do not call", stop=True)]
        elif r.safe_to_call:
            flags = [Flag(f"Call only{times}", stop=False), Flag("Do not text", stop=True)]
        else:
            flags = [Flag("Do not text or call", stop=True)]
    if r.no_voicemail:
        flags.append(Flag("No voicemail", stop=True))
    return flags


def worked_referral(session: Session, user: StaffUser, code: str) -> Referral:
    """The referral, if this user may work it: the JSON api's own checks (role, then assignment), in its order."""
    require_role("outreach", "supervisor")(user)
    return referrals.visible_referral(referrals.referral_or_404(session, code), user)


def programs_of(request: Request, ids: list[str]) -> list[dict[str, str]]:
    catalog = request.app.state.searcher.programs
    shown = []
    for pid in ids:
        program = catalog.get(pid)
        phone = program.phones[0].number if program and program.phones else ""
        shown.append({"id": pid, "name": program.name.en if program else pid, "phone": phone})
    return shown


def actor_name(actor: str, names: dict[int, str]) -> str:
    if actor.startswith("staff:") and actor[6:].isdigit():
        return names.get(int(actor[6:]), actor)
    return {"resident": "Resident", "resident:checkin": "Resident (check-in answer)"}.get(actor, actor)


# What each check-in row's state means to outreach staff (api/db/models.py CheckIn).
CHECKIN_STATES = {
    "sent": "Sent",
    "sending": "Being sent",
    "not_sent": "Not sent: Twilio refused or was unreachable",
    "interrupted": "Unknown: the sender stopped mid-send",
    "skipped": "Skipped: overtaken by a later round",
    "opted_out": "Not sent: the number texted STOP",
    "stopped": "Not sent: the number asked for no more check-ins",
}
CHECKIN_ANSWERS = {"1": "1: got the help", "2": "2: still needs help", "3": "3: no more check-ins"}


def checkin_days() -> str:
    return " and ".join(f"{d:g} days" for d in checkin_settings().after_days)


def referral_page(
    request: Request,
    session: Session,
    user: StaffUser,
    database: Any,
    taxonomy: Any,
    referral: Referral,
    *,
    message: str = "",
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    # The api's detail: decrypts the contact and puts the read on the audit record, committed.
    detail = referrals.detail(referral, session, user, database)
    allowed = [s for s in STATUSES if s in TRANSITIONS.get(detail.status, set()) and s != "assigned"]
    names = staff_names(session)
    assignees = []
    if user.role == "supervisor" and "assigned" in TRANSITIONS.get(detail.status, set()):
        assignees = [
            u
            for u in session.scalars(select(StaffUser).order_by(StaffUser.display_name, StaffUser.id))
            if u.active and u.role in ("outreach", "supervisor")
        ]
    return render(
        "referral.html",
        user,
        request=request,
        status_code=status_code,
        r=detail,
        flags=safety_flags(detail),
        allowed=allowed,
        needs_outcome=NEEDS_OUTCOME,
        likely=LIKELY_OUTCOME,
        action_labels=ACTION_LABELS,
        assignees=assignees,
        names=names,
        actor_name=actor_name,
        needs=needs_labels(taxonomy),
        programs=programs_of(request, detail.programs),
        checkins=checkins_of(session, referral_id=referral.id),
        checkins_expected=referral.safe_to_text and referral.contact_method in TEXTED,
        checkin_days=checkin_days(),
        checkin_states=CHECKIN_STATES,
        checkin_answers=CHECKIN_ANSWERS,
        message=message,
        done=DONE.get(done, ""),
    )


@router.get("/referrals/{code}", response_class=HTMLResponse)
def referral_view(
    request: Request,
    code: str,
    session: SessionDep,
    user: Staff,
    database: DatabaseSettingsDep,
    taxonomy: TaxonomyDep,
    done: str = "",
) -> Response:
    referral = worked_referral(session, user, code)
    return referral_page(request, session, user, database, taxonomy, referral, done=done)


def refused_change(exc: HTTPException | str) -> str:
    text = exc if isinstance(exc, str) else str(exc.detail)
    return "Not changed: " + text[:1].lower() + text[1:]


@router.post("/referrals/{code}/status", response_class=HTMLResponse)
def referral_status(
    request: Request,
    code: str,
    session: SessionDep,
    user: Poster,
    database: DatabaseSettingsDep,
    taxonomy: TaxonomyDep,
    new_status: Annotated[str, Form(alias="status", max_length=20)] = "",
    outcome: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    referral = worked_referral(session, user, code)

    def again(message: str, code: int) -> HTMLResponse:
        session.rollback()  # nothing of the refused change (nor its audit entry) may be committed with the page's read
        return referral_page(request, session, user, database, taxonomy, referral, message=message, status_code=code)

    if new_status in NEEDS_OUTCOME and not outcome:
        label = STATUSES[new_status].lower()
        return again(f"Choose an outcome to mark this referral {label}: nothing was changed.", 422)
    try:
        change = StatusChange(status=new_status, outcome=outcome or None)
    except ValidationError:
        return again("Choose a status and an outcome from the lists: nothing was changed.", 422)
    try:
        referrals.set_status(change, referral, session, user)
    except HTTPException as exc:
        return again(refused_change(exc), exc.status_code)
    return redirect(f"/staff/referrals/{referral.code}?done=status")


@router.post("/referrals/{code}/notes", response_class=HTMLResponse)
def referral_note(
    request: Request,
    code: str,
    session: SessionDep,
    user: Poster,
    database: DatabaseSettingsDep,
    taxonomy: TaxonomyDep,
    text: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    referral = worked_referral(session, user, code)
    try:
        body = NoteIn(text=text.strip())
    except ValidationError:
        message = "Write a note of 1 to 4000 characters: nothing was added."
        return referral_page(request, session, user, database, taxonomy, referral, message=message, status_code=422)
    referrals.note(body, referral, session, user)
    return redirect(f"/staff/referrals/{referral.code}?done=note")


@router.post("/referrals/{code}/assign", response_class=HTMLResponse)
def referral_assign(
    request: Request,
    code: str,
    session: SessionDep,
    user: Poster,
    database: DatabaseSettingsDep,
    taxonomy: TaxonomyDep,
    assignee: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    require_role("supervisor")(user)
    referral = referrals.referral_or_404(session, code)
    try:
        referrals.assign(AssignIn(assignee_id=int(assignee)), referral, session, user)
    except (ValueError, HTTPException) as exc:
        session.rollback()
        refused = isinstance(exc, HTTPException)
        message = refused_change(exc) if refused else "Choose someone from the list: nothing was changed."
        return referral_page(
            request,
            session,
            user,
            database,
            taxonomy,
            referral,
            message=message,
            status_code=exc.status_code if refused else 422,
        )
    return redirect(f"/staff/referrals/{referral.code}?done=assign")


# --- reports and audit -----------------------------------------------------------------------------------------


def chart_rows(rows: list[reports.NeedsRow], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Per need, the sum of the table's shown counts and how many of its cells are "<5": only what the table
    shows, so the chart cannot be subtracted from it to uncover a small count."""
    shown: Counter[str] = Counter()
    small: Counter[str] = Counter()
    for row in rows:
        if row.referrals.isdigit():
            shown[row.need] += int(row.referrals)
        else:
            small[row.need] += 1
    needs = sorted(set(shown) | set(small), key=lambda n: (-shown[n], -small[n], n))
    top = max(shown.values(), default=0) or 1
    return [
        {"need": labels.get(n, n), "shown": shown[n], "small": small[n], "width": round(320 * shown[n] / top)}
        for n in needs
    ]


def report_weeks(weeks: str) -> int:
    return int(choice(weeks or "12", {"4", "12", "26", "52"}, "period"))


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, session: SessionDep, user: Staff, taxonomy: TaxonomyDep, weeks: str = ""
) -> Response:
    require_role("outreach", "supervisor", "admin")(user)
    period = report_weeks(weeks)
    rows = reports.needs(session, user, period, "json")
    labels = needs_labels(taxonomy)
    return render(
        "reports.html",
        user,
        request=request,
        rows=rows,
        chart=chart_rows(rows, labels),
        labels=labels,
        weeks=period,
        small=SMALL,
    )


@router.get("/reports.csv")
def reports_csv(session: SessionDep, user: Staff, weeks: str = "") -> Response:
    require_role("outreach", "supervisor", "admin")(user)
    response = reports.needs(session, user, report_weeks(weeks), "csv")
    response.headers.update(HEADERS)
    return response


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, user: Staff, code: str = "") -> Response:
    require_role("supervisor")(user)
    code = code.strip().upper()[:11]
    entries = referrals.audit_log(session, user, code or None, 200)
    return render(
        "audit.html",
        user,
        request=request,
        entries=entries,
        code=code,
        names=staff_names(session),
        actor_name=actor_name,
    )


# --- accounts (admins) -----------------------------------------------------------------------------------------


def accounts_page(
    request: Request,
    session: Session,
    user: StaffUser,
    *,
    message: str = "",
    done: str = "",
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    people = list(session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.display_name, StaffUser.id)))
    return render(
        "accounts.html",
        user,
        request=request,
        status_code=status_code,
        people=people,
        roles=ROLES,
        message=message,
        done=done,
        form=form or {},
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts(request: Request, session: SessionDep, user: Staff, done: str = "") -> Response:
    require_role("admin")(user)
    texts = {"created": "Account created.", "active": "Account turned on.", "inactive": "Account turned off."}
    return accounts_page(request, session, user, done=texts.get(done, ""))


@router.post("/accounts", response_class=HTMLResponse)
def account_create(
    request: Request,
    session: SessionDep,
    user: Poster,
    email: Annotated[str, Form(max_length=254)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    require_role("admin")(user)
    try:
        created = create_staff(session, email=email, display_name=name, role=role, password=password)
    except StaffError as exc:
        message = f"Account not created: {exc}."
        return accounts_page(
            request, session, user, message=message, status_code=422, form={"email": email, "name": name, "role": role}
        )
    audit(
        session,
        actor=referrals.actor(user),
        action="create_account",
        code=None,
        detail=f"staff:{created.id} as {created.role}",
    )
    session.commit()
    return redirect("/staff/accounts?done=created")


@router.post("/accounts/{user_id}/active", response_class=HTMLResponse)
def account_active(
    request: Request,
    user_id: int,
    session: SessionDep,
    user: Poster,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    require_role("admin")(user)
    account = get_staff(session, user_id=user_id)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No staff account with this number.")
    if account.id == user.id:
        message = "You cannot turn off your own account: ask another admin."
        return accounts_page(request, session, user, message=message, status_code=409)
    # Takes effect at once: every request checks the account (a signed-in session is refused at its next page).
    account.active = active == "true"
    audit(
        session,
        actor=referrals.actor(user),
        action="account_on" if account.active else "account_off",
        code=None,
        detail=f"staff:{account.id}",
    )
    session.commit()
    return redirect(f"/staff/accounts?done={'active' if account.active else 'inactive'}")

"""Referrals. The action server creates them (service token, Idempotency-Key) after a resident's explicit YES;
staff work them: the queue, a referral with its contact (every read audited), status, notes, assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from api.core.auth import require_role
from api.core.contact_box import decrypt
from api.core.contact_seal import SealBroken
from api.core.metrics import MetricsDep
from api.core.security import Caller, security_settings
from api.core.settings import SecuritySettings
from api.crud.referrals import (
    IdempotencyConflict,
    InvalidTransition,
    add_note,
    audit,
    audit_entries,
    change_status,
    create_referral,
    get_referral,
    list_referrals,
    notes_of,
    visible_to,
)
from api.crud.staff import get_staff
from api.db.models import Referral, StaffUser
from api.dependencies import DatabaseSettingsDep, SessionDep
from api.schemas.referrals import (
    AssignIn,
    AuditOut,
    EventOut,
    NoteIn,
    NoteOut,
    ReferralCreate,
    ReferralDetail,
    ReferralReceipt,
    ReferralSummary,
    StatusChange,
)

# What every referral endpoint may answer besides its own codes: the caller's token is missing, wrong or expired (401),
# or not one this endpoint accepts (403); a JSON body that cannot be read at all (400).
CALLER_ERRORS: dict[int | str, dict] = {
    400: {"description": "The body is not readable JSON."},
    401: {"description": "No token, or a wrong or expired one."},
    403: {"description": "This token's role may not do this."},
}
ONE_REFERRAL: dict[int | str, dict] = {
    **CALLER_ERRORS,
    403: {"description": "This token's role may not do this, or the referral is assigned to someone else."},
    404: {"description": "No referral with this code."},
}
router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"], responses=CALLER_ERRORS)


def service_only(caller: Caller) -> None:
    if caller != "service":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only the action server may create referrals.")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(service_only)],
    responses={
        200: {"description": "A retry: the referral this Idempotency-Key already created."},
        409: {"description": "The Idempotency-Key was used for a different referral."},
        422: {"description": "Bad input, or a sealed_contact that cannot be opened (named in the errors)."},
        503: {"description": "Referrals are not configured (no key for contact details at rest)."},
    },
)
def create(
    body: ReferralCreate,
    response: Response,
    session: SessionDep,
    database: DatabaseSettingsDep,
    security: Annotated[SecuritySettings, Depends(security_settings)],
    metrics: MetricsDep,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=128)],
) -> ReferralReceipt:
    contact_key = database.referral_contact_key.get_secret_value()
    if not contact_key:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "NAVIGATOR_REFERRAL_CONTACT_KEY is not set.")
    try:
        referral, created = create_referral(
            session,
            idempotency_key=idempotency_key,
            data=body,
            contact_key=contact_key,
            sealing_key=security.contact_private_key.get_secret_value(),
        )
    except IdempotencyConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except SealBroken as exc:
        # In the shape of every other 422 (the declared one), naming the field; never echoing it.
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "sealed_contact"), "msg": "sealed_contact could not be opened."}]
        ) from exc
    if created:
        metrics.referral_created(body.channel)
    else:
        response.status_code = status.HTTP_200_OK
    return receipt(referral)


Out = TypeVar("Out", bound=BaseModel)


def in_utc(out: Out) -> Out:
    """The server's own timestamps are stored in UTC; SQLite hands them back without their zone. Answer them with it,
    as the schema declares (an RFC 3339 date-time), on every backend."""
    for name, value in out:
        if isinstance(value, datetime) and value.tzinfo is None:
            setattr(out, name, value.replace(tzinfo=UTC))
    return out


def receipt(referral: Referral) -> ReferralReceipt:
    return in_utc(
        ReferralReceipt(
            code=referral.code, status=referral.status, outcome=referral.outcome, created_at=referral.created_at
        )
    )


Supervisor = Annotated[StaffUser, Depends(require_role("supervisor"))]
Worker = Annotated[StaffUser, Depends(require_role("outreach", "supervisor"))]


def actor(user: StaffUser) -> str:
    return f"staff:{user.id}"


def referral_or_404(session: SessionDep, code: str) -> Referral:
    referral = get_referral(session, code=code)
    if referral is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No referral with this code.")
    return referral


def visible_referral(referral: Annotated[Referral, Depends(referral_or_404)], user: Worker) -> Referral:
    if not visible_to(referral, role=user.role, user_id=user.id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This referral is assigned to someone else.")
    return referral


Visible = Annotated[Referral, Depends(visible_referral)]


def summary(referral: Referral) -> ReferralSummary:
    return in_utc(ReferralSummary.model_validate(referral, from_attributes=True))


@router.get("")
def queue(
    session: SessionDep,
    user: Worker,
    referral_status: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    need: Annotated[str | None, Query(max_length=64)] = None,
    community_area: Annotated[str | None, Query(max_length=64)] = None,
    language: Annotated[Literal["en", "es"] | None, Query()] = None,
    older_than_days: Annotated[int | None, Query(ge=0, le=3650, description="Waiting at least this long.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReferralSummary]:
    rows = list_referrals(
        session, role=user.role, user_id=user.id, status=referral_status, need=need,
        community_area=community_area, language=language, limit=limit, offset=offset,
        created_before=None if older_than_days is None else datetime.now(UTC) - timedelta(days=older_than_days),
    )  # fmt: skip
    return [summary(r) for r in rows]


@router.get("/{code}", responses=ONE_REFERRAL)
def detail(referral: Visible, session: SessionDep, user: Worker, database: DatabaseSettingsDep) -> ReferralDetail:
    key = database.referral_contact_key.get_secret_value()
    contact = decrypt(referral.contact_encrypted, key) if referral.contact_encrypted and key else None
    # Every read of contact details is on the record.
    audit(session, actor=actor(user), action="read_contact", code=referral.code)
    session.commit()
    return in_utc(
        ReferralDetail(
            **summary(referral).model_dump(),
            first_name=referral.first_name,
            contact_method=referral.contact_method,
            contact=contact,
            consent_text=referral.consent_text,
            consent_at=referral.consent_at,
            consent_scope=referral.consent_scope,
            history=[in_utc(EventOut.model_validate(e, from_attributes=True)) for e in referral.history],
            notes=[
                in_utc(NoteOut.model_validate(n, from_attributes=True)) for n in notes_of(session, referral=referral)
            ],
        )
    )


@router.post("/{code}/status", responses={**ONE_REFERRAL, 409: {"description": "Not an allowed transition."}})
def set_status(body: StatusChange, referral: Visible, session: SessionDep, user: Worker) -> ReferralSummary:
    if body.status == "assigned" and user.role != "supervisor":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only a supervisor assigns referrals.")
    audit(session, actor=actor(user), action="status", code=referral.code, detail=f"{referral.status} -> {body.status}")
    try:
        change_status(session, referral=referral, to_status=body.status, actor=actor(user), outcome=body.outcome)
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return summary(referral)


@router.post("/{code}/notes", status_code=status.HTTP_201_CREATED, responses=ONE_REFERRAL)
def note(body: NoteIn, referral: Visible, session: SessionDep, user: Worker) -> NoteOut:
    audit(session, actor=actor(user), action="note", code=referral.code)
    created = add_note(session, referral=referral, author_id=user.id, text=body.text)
    return in_utc(NoteOut.model_validate(created, from_attributes=True))


@router.post("/{code}/assign", responses={**ONE_REFERRAL, 409: {"description": "Not an allowed transition."}})
def assign(
    body: AssignIn, referral: Annotated[Referral, Depends(referral_or_404)], session: SessionDep, user: Supervisor
) -> ReferralSummary:
    assignee = get_staff(session, user_id=body.assignee_id)
    if assignee is None or not assignee.active or assignee.role not in ("outreach", "supervisor"):
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "assignee_id"), "msg": "Not an active outreach worker."}]
        )
    # Assignee, status and audit entry are committed together by change_status, or not at all.
    referral.assignee_id = assignee.id
    audit(session, actor=actor(user), action="assign", code=referral.code, detail=f"to staff:{assignee.id}")
    try:
        change_status(session, referral=referral, to_status="assigned", actor=actor(user))
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return summary(referral)


audit_router = APIRouter(prefix="/api/v1/audit", tags=["referrals"], responses=CALLER_ERRORS)


@audit_router.get("")
def audit_log(
    session: SessionDep,
    user: Supervisor,
    code: Annotated[str | None, Query(max_length=11)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    return [
        in_utc(AuditOut.model_validate(e, from_attributes=True)) for e in audit_entries(session, code=code, limit=limit)
    ]

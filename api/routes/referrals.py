"""Referrals. The action server creates them (service token, Idempotency-Key) after a resident's explicit YES;
staff endpoints come with the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response, status

from api.core.contact_seal import SealBroken
from api.core.security import Caller, security_settings
from api.core.settings import SecuritySettings
from api.crud.referrals import IdempotencyConflict, create_referral
from api.dependencies import DatabaseSettingsDep, SessionDep
from api.schemas.referrals import ReferralCreate, ReferralReceipt

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])


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
        503: {"description": "Referrals are not configured (no key for contact details at rest)."},
    },
)
def create(
    body: ReferralCreate,
    response: Response,
    session: SessionDep,
    database: DatabaseSettingsDep,
    security: Annotated[SecuritySettings, Depends(security_settings)],
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
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "sealed_contact could not be opened.") from exc
    if not created:
        response.status_code = status.HTTP_200_OK
    return ReferralReceipt(
        code=referral.code, status=referral.status, outcome=referral.outcome, created_at=referral.created_at
    )

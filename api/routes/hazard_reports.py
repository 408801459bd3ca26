"""Hazard reports (issue 8): the action server files what a resident reports; 311 gets it through Open311.

- POST /api/v1/hazard-reports (service token, Idempotency-Key): stores the report, then files it with 311 at once
  when the city answers (the receipt carries the city's request number), else leaves it queued for
  `python -m api.hazard_filing` (state "queued"): never lost, never filed twice.
- GET /api/v1/conversations/{conversation_id}/hazard-reports (service token): a resident's latest reports, with the
  city's status, asked again of the city when it is older than a few minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError

from api.core.contact_box import encrypt
from api.core.contact_seal import SealBroken, open_sealed
from api.core.open311 import Open311, Open311Refused, Open311Unavailable
from api.core.security import SecuritySettings, security_settings
from api.core.settings import Open311Settings
from api.crud.hazards import create_report, reports_of_conversation
from api.crud.referrals import IdempotencyConflict
from api.db.models import HazardReport
from api.dependencies import DatabaseSettingsDep, SessionDep
from api.hazard_filing import file_one
from api.routes.referrals import CALLER_ERRORS, in_utc, service_only
from api.schemas.hazards import HazardReceipt, HazardReportIn

log = logging.getLogger("navigator.hazards")
router = APIRouter(tags=["hazard reports"], dependencies=[Depends(service_only)], responses=CALLER_ERRORS)
# The city's status is asked again when the one held is older than this.
STATUS_MAX_AGE = timedelta(minutes=5)
# The action server waits 4 s for this api (NAVIGATOR_API_TIMEOUT_S): the at-once attempt must answer within that,
# and a slower city is left to the filer, which waits NAVIGATOR_OPEN311_TIMEOUT_S and finds a filing whose answer
# came late before filing again.
AT_ONCE_TIMEOUT_S = 2.5


@lru_cache(maxsize=1)
def open311_settings() -> Open311Settings:
    return Open311Settings()


def city(settings: Annotated[Open311Settings, Depends(open311_settings)]) -> Iterator[Open311 | None]:
    """The city's Open311 endpoint for this request, or None while NAVIGATOR_OPEN311_URL is not set."""
    if not settings.url:
        yield None
        return
    client = Open311(settings.url, settings.api_key.get_secret_value(), jurisdiction_id=settings.jurisdiction_id,
                     timeout_s=min(settings.timeout_s, AT_ONCE_TIMEOUT_S))  # fmt: skip
    try:
        yield client
    finally:
        client.close()


CityDep = Annotated[Open311 | None, Depends(city)]


def receipt(report: HazardReport) -> HazardReceipt:
    return in_utc(HazardReceipt.model_validate(report, from_attributes=True))


@router.post(
    "/api/v1/hazard-reports",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "A retry: the report this Idempotency-Key already made."},
        409: {"description": "The Idempotency-Key was used for a different report."},
        422: {"description": "Bad input, or a sealed_contact that cannot be opened."},
    },
)
def report_hazard(
    body: HazardReportIn,
    response: Response,
    session: SessionDep,
    database: DatabaseSettingsDep,
    security: Annotated[SecuritySettings, Depends(security_settings)],
    settings: Annotated[Open311Settings, Depends(open311_settings)],
    city: CityDep,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=128)],
) -> HazardReceipt:
    contact = None
    if body.sealed_contact:
        try:
            number = open_sealed(body.sealed_contact, security.contact_private_key.get_secret_value())
        except SealBroken as exc:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("body", "sealed_contact"),
                        "msg": "sealed_contact could not be opened.",
                    }
                ]
            ) from exc
        contact = encrypt(number, database.referral_contact_key.get_secret_value())
    try:
        report, created = create_report(
            session,
            idempotency_key=idempotency_key,
            body_json=body.model_dump_json(),
            channel=body.channel,
            language=body.language,
            conversation_id=body.conversation_id,
            hazard_type=body.hazard_type,
            location_text=body.location,
            community_area=body.community_area,
            latitude=body.latitude,
            longitude=body.longitude,
            media_url=str(body.media_url) if body.media_url else None,
            contact_encrypted=contact,
        )
    except IdempotencyConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if not created:
        response.status_code = status.HTTP_200_OK
    if report.state == "queued" and city is not None:
        key = database.referral_contact_key.get_secret_value()
        state = file_one(session, report, city=city, settings=settings, contact_key=key, now=datetime.now(UTC))
        log.info("hazard report %s", state)
    return receipt(report)


@router.get("/api/v1/conversations/{conversation_id}/hazard-reports")
def reports_of(
    conversation_id: Annotated[str, Path(min_length=1, max_length=128)], session: SessionDep, city: CityDep
) -> list[HazardReceipt]:
    reports = reports_of_conversation(session, conversation_id=conversation_id)
    now = datetime.now(UTC)
    for report in reports:
        checked = report.city_checked_at
        stale = checked is None or now - checked.replace(tzinfo=checked.tzinfo or UTC) > STATUS_MAX_AGE
        if city is None or report.service_request_id is None or not stale:
            continue
        try:
            found = city.status(report.service_request_id)
        except (Open311Unavailable, Open311Refused):
            continue  # the status held is answered; the city is asked again next time
        report.city_status, report.city_status_notes, report.city_checked_at = (
            found.status[:20], (found.status_notes or "")[:500] or None, now,
        )  # fmt: skip
    session.commit()
    return [receipt(r) for r in reports]

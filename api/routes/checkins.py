"""Follow-up check-ins (sent by `python -m api.checkins`): the resident's answer, and Twilio's delivery reports.

- POST /api/v1/checkins/answers: the SMS channel (service token) asks whether a bare 1, 2 or 3 answers a check-in;
  if so the referral is updated and the channel gets the reply to text back, else 404 and the digit goes on to the
  conversation.
- POST /api/v1/checkins/status: Twilio's status callback for a check-in, refused unless Twilio signed it with the
  account's auth token over NAVIGATOR_PUBLIC_API_URL.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from twilio.request_validator import RequestValidator

from api.checkins import OPTED_OUT_AT_TWILIO, STATUS_PATH
from api.core.checkin_texts import reply
from api.core.security import Caller
from api.core.settings import CheckinSettings
from api.crud.checkins import answer, record_delivery, waiting_for_answer
from api.dependencies import SessionDep
from api.routes.referrals import CALLER_ERRORS
from api.schemas.checkins import AnswerIn, AnswerOut
from bot.channels.sms_state import SmsState

log = logging.getLogger("navigator.api")
router = APIRouter(prefix="/api/v1/checkins", tags=["check-ins"])
# Twilio's form is a few hundred bytes; anything far larger is not Twilio.
MAX_CALLBACK_BYTES = 16 * 1024


@lru_cache(maxsize=1)
def checkin_settings() -> CheckinSettings:
    return CheckinSettings()


CheckinSettingsDep = Annotated[CheckinSettings, Depends(checkin_settings)]


def sms_channel_only(caller: Caller) -> None:
    if caller != "service":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only Navigator's own services may answer check-ins.")


@router.post(
    "/answers",
    dependencies=[Depends(sms_channel_only)],
    responses={
        **CALLER_ERRORS,
        403: {"description": "Not the service token."},
        404: {"description": "No check-in is waiting for this number's answer: the digit is for the conversation."},
    },
)
def answer_checkin(body: AnswerIn, session: SessionDep, settings: CheckinSettingsDep) -> AnswerOut:
    now = datetime.now(UTC)
    checkin = waiting_for_answer(
        session,
        sender_id=body.sender_id,
        sent_after=body.last_message_at,
        now=now,
        answer_days=settings.checkin_answer_days,
    )
    if checkin is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No check-in is waiting for an answer from this number.")
    referral = answer(session, checkin=checkin, answer=body.answer, now=now)
    log.info("check-in answered: %s", body.answer)
    return AnswerOut(reply=reply(body.answer, referral.language))


@router.post(
    "/status",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        400: {"description": "Signed, but without MessageSid or MessageStatus."},
        403: {"description": "Not signed by Twilio with this account's auth token."},
        413: {"description": "Far larger than Twilio's form."},
        503: {"description": "TWILIO_AUTH_TOKEN or NAVIGATOR_PUBLIC_API_URL is not set."},
    },
)
async def delivery_status(request: Request, session: SessionDep, settings: CheckinSettingsDep) -> Response:
    token = settings.twilio_auth_token.get_secret_value()
    if not (token and settings.public_api_url):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Status callbacks are not configured.")
    if len(await request.body()) > MAX_CALLBACK_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "Too large for a Twilio status callback.")
    form = {key: str(value) for key, value in (await request.form()).items()}
    # Twilio signs the URL it called: the public one, not what the proxy forwarded here.
    url = settings.public_api_url.rstrip("/") + STATUS_PATH
    if request.url.query:
        url += f"?{request.url.query}"
    signature = request.headers.get("X-Twilio-Signature", "")
    if not (signature and RequestValidator(token).validate(url, form, signature)):
        log.warning("refused a status callback without a valid Twilio signature")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Invalid or missing X-Twilio-Signature.")
    sid, delivery = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if not (sid and delivery):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and MessageStatus are required.")
    checkin = await asyncio.to_thread(
        record_delivery,
        session,
        twilio_sid=sid[:64],
        status=delivery[:20],
        error_code=form.get("ErrorCode") or None,
        now=datetime.now(UTC),
    )
    if checkin is not None and form.get("ErrorCode") == str(OPTED_OUT_AT_TWILIO) and checkin.sender_id:
        # Twilio says the number opted out with it: the SMS channel and the scheduler will honour it too.
        await asyncio.to_thread(_record_opt_out, settings.sms_state_url, checkin.sender_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _record_opt_out(url: str, sender: str) -> None:
    state = SmsState(url)
    try:
        state.set_opted_out(sender, True)
    finally:
        state.close()

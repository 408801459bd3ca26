"""A resident's own referrals, asked for by the action server on their behalf: STATUS and CANCEL REFERRAL.

The resident is identified by the conversation id the bot keys them by (an HMAC of the number on SMS, a random id on
web chat), so the action server can only ever reach the referrals of the conversation it is serving.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.crud.referrals import audit, referrals_of_conversation, withdraw
from api.dependencies import SessionDep
from api.routes.referrals import CALLER_ERRORS, receipt, service_only
from api.schemas.referrals import ReferralReceipt

router = APIRouter(
    prefix="/api/v1/conversations/{conversation_id}/referrals",
    tags=["referrals"],
    dependencies=[Depends(service_only)],
    responses=CALLER_ERRORS,
)
ConversationId = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("")
def of_conversation(conversation_id: ConversationId, session: SessionDep) -> list[ReferralReceipt]:
    return [receipt(r) for r in referrals_of_conversation(session, conversation_id=conversation_id)]


@router.post("/withdraw")
def withdraw_all(conversation_id: ConversationId, session: SessionDep) -> list[ReferralReceipt]:
    """Consent withdrawn: every open referral of this conversation is closed and its contact details erased."""
    withdrawn = []
    for referral in referrals_of_conversation(session, conversation_id=conversation_id):
        if referral.status == "closed" and referral.contact_encrypted is None:
            continue
        audit(session, actor="resident", action="withdraw", code=referral.code, detail=f"{referral.status} -> closed")
        withdrawn.append(receipt(withdraw(session, referral=referral)))
    return withdrawn

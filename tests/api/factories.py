"""Builders shared by the api suites: a resident's referral request, staff accounts, sign-in, a created referral."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from api.crud.staff import create_staff
from api.db.models import StaffUser
from api.schemas.referrals import ReferralCreate

PASSWORD = "correct horse battery staple"


def new_user(db, role="outreach", password=PASSWORD) -> StaffUser:
    return create_staff(
        db, email=f"{uuid.uuid4().hex[:8]}@cscc.example", display_name="A", role=role, password=password
    )


def sign_in(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def referral_request(**changes) -> ReferralCreate:
    data = {
        "channel": "web",
        "language": "es",
        "conversation_id": "web-" + uuid.uuid4().hex,
        "needs": ["food"],
        "programs": ["chi-001"],
        "community_area": "SOUTH LAWNDALE",
        "first_name": "Ana",
        "contact_method": "text",
        "contact": "+17735550123",
        "safe_to_text": True,
        "safe_to_call": False,
        "safe_times": "after 6 pm",
        "no_voicemail": True,
        "consent": {
            "text": "CSCC outreach may text you within 2 business days ... Reply YES to agree.",
            "at": datetime(2026, 11, 25, 18, 0, tzinfo=UTC).isoformat(),
            "scope": "contact by CSCC outreach about this need",
        },
    }
    data.update(changes)
    return ReferralCreate.model_validate(data)


def new_referral(client, headers, **changes) -> str:
    body = referral_request(**changes).model_dump(mode="json")
    answer = client.post(
        "/api/v1/referrals", json=body, headers={**headers["service"], "Idempotency-Key": uuid.uuid4().hex}
    )
    assert answer.status_code == 201
    return answer.json()["code"]


def assign(client, headers, code: str, user: StaffUser):
    """A supervisor assigns the referral to user (the answer, for tests that check it)."""
    return client.post(f"/api/v1/referrals/{code}/assign", json={"assignee_id": user.id}, headers=headers["supervisor"])


# The referrals columns every schema revision has: a row written as an older api wrote it, for migration tests (the
# ORM model is the newest revision's, so it cannot write to an older table).
OLD_REFERRALS = sa.table(
    "referrals",
    *(sa.column(name) for name in ("code", "idempotency_key", "request_hash", "channel", "language", "conversation_id",
                                   "needs", "programs", "contact_method", "contact_encrypted", "safe_to_text",
                                   "safe_to_call", "no_voicemail", "consent_text", "consent_at", "consent_scope",
                                   "status")),
)  # fmt: skip


def old_referral(connection, *, code: str) -> str:
    """Insert a referral with only the columns of the first revision, in the caller's transaction; its code."""
    connection.execute(
        OLD_REFERRALS.insert().values(
            code=code, idempotency_key=f"old-{code}", request_hash="0" * 64, channel="sms", language="es",
            conversation_id="sms-1", needs="[]", programs="[]", contact_method="text", contact_encrypted=b"sealed",
            safe_to_text=True, safe_to_call=False, no_voicemail=False, consent_text="Yes",
            consent_at=datetime(2026, 11, 1, tzinfo=UTC), consent_scope="outreach", status="new",
        )
    )  # fmt: skip
    return code

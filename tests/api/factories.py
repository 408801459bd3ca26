"""Builders shared by the api suites: a resident's referral request, staff accounts, sign-in, a created referral."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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

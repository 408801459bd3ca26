"""Staff work on referrals: every endpoint by (anonymous, outreach, other outreach, supervisor, admin, service token),
the queue's visibility rules, status changes with history, notes, assignment, and an audit of contact reads."""

from __future__ import annotations

import uuid

from tests.api.factories import assign, new_referral, referral_request


def test_authorization_matrix(client, people):
    users, headers = people
    mine = new_referral(client, headers)
    assign(client, headers, mine, users["outreach"])
    theirs = new_referral(client, headers)
    assign(client, headers, theirs, users["outreach-other"])
    calls = {
        "queue": lambda h: client.get("/api/v1/referrals", headers=h),
        "detail (own)": lambda h: client.get(f"/api/v1/referrals/{mine}", headers=h),
        "detail (someone else's)": lambda h: client.get(f"/api/v1/referrals/{theirs}", headers=h),
        "note (own)": lambda h: client.post(f"/api/v1/referrals/{mine}/notes", json={"text": "called"}, headers=h),
        "note (someone else's)": lambda h: client.post(
            f"/api/v1/referrals/{theirs}/notes", json={"text": "x"}, headers=h
        ),
        "assign": lambda h: client.post(
            f"/api/v1/referrals/{mine}/assign", json={"assignee_id": users["outreach"].id}, headers=h
        ),
        "audit": lambda h: client.get("/api/v1/audit", headers=h),
        "me": lambda h: client.get("/api/v1/auth/me", headers=h),
    }
    expected = {  # anonymous, outreach, outreach-other, supervisor, admin, service
        "queue": (401, 200, 200, 200, 403, 401),
        "detail (own)": (401, 200, 403, 200, 403, 401),
        "detail (someone else's)": (401, 403, 200, 200, 403, 401),
        "note (own)": (401, 201, 403, 201, 403, 401),
        "note (someone else's)": (401, 403, 201, 201, 403, 401),
        "assign": (401, 403, 403, 200, 403, 401),
        "audit": (401, 403, 403, 200, 403, 401),
        "me": (401, 200, 200, 200, 200, 401),
    }
    who = ("anonymous", "outreach", "outreach-other", "supervisor", "admin", "service")
    got = {name: tuple(call(headers[w]).status_code for w in who) for name, call in calls.items()}
    assert got == expected
    # residents' referrals are created only with the service token
    body = referral_request().model_dump(mode="json")
    for w in ("anonymous", "outreach", "supervisor", "admin"):
        answer = client.post(
            "/api/v1/referrals", json=body, headers={**headers[w], "Idempotency-Key": uuid.uuid4().hex}
        )
        assert answer.status_code in (401, 403), w


def test_outreach_sees_own_and_unassigned_and_works_a_referral_to_the_end(client, people):
    users, headers = people
    code = new_referral(client, headers, needs=["housing"], community_area="AUSTIN")
    queue = client.get(
        "/api/v1/referrals", params={"need": "housing", "community_area": "AUSTIN"}, headers=headers["outreach"]
    )
    assert code in [r["code"] for r in queue.json()]
    assert "contact" not in queue.json()[0]  # the queue never carries contact details
    assert (
        client.post(
            f"/api/v1/referrals/{code}/status", json={"status": "assigned"}, headers=headers["outreach"]
        ).status_code
        == 403
    )
    assign(client, headers, code, users["outreach"])
    hidden = client.get("/api/v1/referrals", headers=headers["outreach-other"]).json()
    assert code not in [r["code"] for r in hidden]
    steps = [("contacted", None), ("connected", None), ("connected", "served"), ("closed", "served")]
    codes = [
        client.post(
            f"/api/v1/referrals/{code}/status", json={"status": s, "outcome": o}, headers=headers["outreach"]
        ).status_code
        for s, o in steps
    ]
    assert codes == [200, 409, 200, 200]  # connected needs an outcome
    client.post(
        f"/api/v1/referrals/{code}/notes", json={"text": "Connected to the program."}, headers=headers["outreach"]
    )
    detail = client.get(f"/api/v1/referrals/{code}", headers=headers["outreach"]).json()
    assert detail["contact"] == "+17735550123" and detail["consent_text"].startswith("CSCC outreach")
    assert [e["to_status"] for e in detail["history"]] == ["new", "assigned", "contacted", "connected", "closed"]
    assert detail["notes"][0]["text"] == "Connected to the program." and detail["no_voicemail"] is True


def test_every_contact_read_and_change_is_audited(client, people):
    users, headers = people
    code = new_referral(client, headers)
    client.get(f"/api/v1/referrals/{code}", headers=headers["supervisor"])
    assign(client, headers, code, users["outreach"])
    client.get(f"/api/v1/referrals/{code}", headers=headers["outreach"])
    client.post(f"/api/v1/referrals/{code}/notes", json={"text": "left no message"}, headers=headers["outreach"])
    entries = client.get("/api/v1/audit", params={"code": code}, headers=headers["supervisor"]).json()
    trail = [(e["actor"], e["action"]) for e in reversed(entries)]
    sup, out = f"staff:{users['supervisor'].id}", f"staff:{users['outreach'].id}"
    assert trail == [(sup, "read_contact"), (sup, "assign"), (out, "read_contact"), (out, "note")]
    assert all("5550123" not in e["detail"] and "no message" not in e["detail"] for e in entries)


def test_consent_time_is_the_instant_the_resident_answered_in_utc(client, people):
    """The action server may send Chicago time; SQLite would keep its wall clock and drop the zone."""
    _, headers = people
    consent = referral_request().consent.model_dump(mode="json") | {"at": "2026-11-25T12:00:00-06:00"}
    code = new_referral(client, headers, consent=consent)
    detail = client.get(f"/api/v1/referrals/{code}", headers=headers["supervisor"]).json()
    assert detail["consent_at"].replace("Z", "+00:00") == "2026-11-25T18:00:00+00:00"

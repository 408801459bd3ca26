"""A resident's own referrals through the action server (STATUS, CANCEL REFERRAL), and the staff endpoints the main
matrix leaves out (status changes, the needs report), by (anonymous, outreach, supervisor, admin, service token)."""

from __future__ import annotations

import uuid

from tests.api.factories import assign, new_referral

WHO = ("anonymous", "outreach", "outreach-other", "supervisor", "admin", "service")


def test_authorization_matrix_of_the_remaining_endpoints(client, people):
    users, headers = people
    conversation = "web-" + uuid.uuid4().hex
    mine = new_referral(client, headers, conversation_id=conversation)
    assign(client, headers, mine, users["outreach"])

    # Each status call is a legal move only once, so each caller gets a fresh referral assigned to "outreach".
    def status_change(h):
        code = new_referral(client, headers)
        assign(client, headers, code, users["outreach"])
        return client.post(f"/api/v1/referrals/{code}/status", json={"status": "contacted"}, headers=h)

    calls = {
        "status (outreach's referral)": status_change,
        "needs report": lambda h: client.get("/api/v1/reports/needs", headers=h),
        "needs report csv": lambda h: client.get("/api/v1/reports/needs", params={"format": "csv"}, headers=h),
        "resident's referrals": lambda h: client.get(f"/api/v1/conversations/{conversation}/referrals", headers=h),
    }
    expected = {  # anonymous, outreach, outreach-other, supervisor, admin, service
        "status (outreach's referral)": (401, 200, 403, 200, 403, 401),
        "needs report": (401, 200, 200, 200, 200, 401),
        "needs report csv": (401, 200, 200, 200, 200, 401),
        # The action server only: a staff token is not the service token.
        "resident's referrals": (403, 401, 401, 401, 401, 200),
    }
    got = {name: tuple(call(headers[w]).status_code for w in WHO) for name, call in calls.items()}
    assert got == expected
    # withdrawing is the last: it closes the referral for everyone after it
    withdraw = [
        client.post(f"/api/v1/conversations/{conversation}/referrals/withdraw", headers=headers[w]).status_code
        for w in WHO
    ]
    assert withdraw == [403, 401, 401, 401, 401, 200]


def test_status_lists_a_residents_referrals_newest_first_and_only_theirs(client, people):
    _, headers = people
    conversation = "sms-" + uuid.uuid4().hex[:40]
    first = new_referral(client, headers, conversation_id=conversation)
    second = new_referral(client, headers, conversation_id=conversation)
    new_referral(client, headers)  # someone else's
    answer = client.get(f"/api/v1/conversations/{conversation}/referrals", headers=headers["service"])
    assert [r["code"] for r in answer.json()] == [second, first]
    assert {r["status"] for r in answer.json()} == {"new"}
    assert "contact" not in answer.json()[0]  # the resident's side never carries contact details
    nobody = client.get(f"/api/v1/conversations/web-{uuid.uuid4().hex}/referrals", headers=headers["service"])
    assert nobody.status_code == 200 and nobody.json() == []


def test_withdrawing_closes_every_open_referral_erases_the_contact_and_is_audited(client, people):
    users, headers = people
    conversation = "web-" + uuid.uuid4().hex
    codes = [new_referral(client, headers, conversation_id=conversation) for _ in range(2)]
    assign(client, headers, codes[0], users["outreach"])
    withdrawn = client.post(f"/api/v1/conversations/{conversation}/referrals/withdraw", headers=headers["service"])
    assert withdrawn.status_code == 200 and sorted(r["code"] for r in withdrawn.json()) == sorted(codes)
    for code in codes:
        seen = client.get(f"/api/v1/referrals/{code}", headers=headers["supervisor"]).json()
        assert seen["status"] == "closed" and seen["outcome"] == "declined"
        assert seen["contact"] is None and seen["first_name"] is None
        assert seen["history"][-1]["actor"] == "resident"
    audit = client.get("/api/v1/audit", params={"code": codes[0]}, headers=headers["supervisor"]).json()
    assert any(e["action"] == "withdraw" and e["actor"] == "resident" for e in audit)
    again = client.post(f"/api/v1/conversations/{conversation}/referrals/withdraw", headers=headers["service"])
    assert again.json() == []  # nothing left to withdraw

"""GET /api/v1/reports/needs: counts by need x community area x week, small counts hidden, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import uuid

from tests.api.factories import new_referral


def test_needs_by_area_and_week_hide_small_counts(client, people):
    _, headers = people
    area = f"TEST AREA {uuid.uuid4().hex[:6]}"
    for _ in range(6):
        new_referral(client, headers, needs=["food"], community_area=area)
    for _ in range(2):
        new_referral(client, headers, needs=["housing", "food"], community_area=area)
    rows = [
        r
        for r in client.get("/api/v1/reports/needs", headers=headers["supervisor"]).json()
        if r["community_area"] == area
    ]
    assert {(r["need"], r["referrals"]) for r in rows} == {("food", "8"), ("housing", "<5")}
    assert len({r["week"] for r in rows}) == 1
    report = client.get("/api/v1/reports/needs", params={"format": "csv"}, headers=headers["outreach"])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(report.text)))
    assert {(r["need"], r["referrals"]) for r in table if r["community_area"] == area} == {
        ("food", "8"),
        ("housing", "<5"),
    }
    assert "+1773" not in report.text  # aggregate only
    assert client.get("/api/v1/reports/needs").status_code == 401
    assert client.get("/api/v1/reports/needs", headers=headers["service"]).status_code == 401

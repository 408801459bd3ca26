"""GET /api/v1/places: a ZIP code, a community area's name or a point, as the action server asks for a referral's
community area."""

import pytest


@pytest.mark.parametrize(
    ("near", "area", "name", "kind"),
    [("60623", 30, "South Lawndale", "zip"), ("Pilsen", 31, "Lower West Side", "community_area"),
     ("41.8781,-87.6298", 32, "Loop", "point")],
)  # fmt: skip
def test_a_place_is_its_community_area(client, near, area, name, kind):
    answer = client.get("/api/v1/places", params={"near": near})
    assert answer.status_code == 200, answer.text
    place = answer.json()
    assert (place["community_area"], place["community_area_name"], place["kind"]) == (area, name, kind)


@pytest.mark.parametrize("near", ["Narnia", "41.0,-70.0", "", "x" * 101])
def test_what_is_not_a_chicago_place_is_a_clear_422(client, near):
    answer = client.get("/api/v1/places", params={"near": near})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "near"]

"""The program endpoints as a resident-facing client sees them (in-process app, real model, real Qdrant)."""

import pytest

SEARCH = "/api/v1/programs/search"


def names(response) -> list[str]:
    return [r["name"] for r in response.json()["results"]]


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_search_returns_the_contract_fields(client):
    response = client.get(SEARCH, params={"q": "I need groceries for my family", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["lang"] == "en" and body["total"] == len(body["results"]) == 3
    first = body["results"][0]
    for key in ("id", "name", "categories", "score", "distance_km", "open_now", "phones", "sms", "contact", "summary"):
        assert key in first
    assert "food" in first["categories"]
    assert first["sms"].endswith(first["contact"])  # the list line and the one-segment check use one contact
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_spanish_query_is_answered_in_spanish(client):
    body = client.get(SEARCH, params={"q": "necesito un abogado, me quieren desalojar", "limit": 3}).json()
    assert body["lang"] == "es"
    assert any({"legal", "housing"} & set(r["categories"]) for r in body["results"])
    first = body["results"][0]
    assert first["summary"] == client.get(f"/api/v1/programs/{first['id']}", params={"lang": "es"}).json()["summary"]


def test_near_adds_distance_and_prefers_nearby_programs(client):
    far = client.get(SEARCH, params={"q": "food pantry", "limit": 5, "near": "Rogers Park"}).json()
    close = client.get(SEARCH, params={"q": "food pantry", "limit": 5, "near": "Auburn Gresham"}).json()
    assert close["near"]["community_area"] == 71
    located = [r for r in close["results"] if r["distance_km"] is not None]
    assert located, "some food programs have a public address"
    # The nearest located pantry for a South Side resident is nearer than for a far North Side one.
    far_km = min(r["distance_km"] for r in far["results"] if r["distance_km"] is not None)
    assert min(r["distance_km"] for r in located) < far_km


def test_citywide_lines_are_never_excluded_for_being_far(client):
    body = client.get(SEARCH, params={"q": "suicide crisis line", "limit": 5, "near": "60827"}).json()
    assert any(r["distance_km"] is None and "crisis" in r["categories"] for r in body["results"])


def test_category_filter(client):
    body = client.get(SEARCH, params={"q": "help", "limit": 10, "category": "legal"}).json()
    assert body["results"] and all("legal" in r["categories"] for r in body["results"])


def test_open_now_keeps_only_programs_known_to_be_open(client):
    body = client.get(SEARCH, params={"q": "someone to talk to", "limit": 10, "open_now": "true"}).json()
    assert body["results"] and all(r["open_now"] is True for r in body["results"])


def test_confidential_sites_are_never_sent(client, searcher):
    hidden = [p for p in searcher.programs.values() if p.is_confidential]
    assert hidden
    for program in hidden:
        body = client.get(f"/api/v1/programs/{program.id}").json()
        assert body["confidential_location"] is True
        assert len(body["locations"]) == len([loc for loc in program.locations if not loc.confidential])
        for loc in program.locations:
            if loc.confidential and loc.lat is not None:
                assert str(loc.lat) not in str(body)


def test_directory_pages_through_the_whole_catalog(client, searcher):
    seen, offset = [], 0
    while True:
        page = client.get("/api/v1/programs", params={"limit": 50, "offset": offset}).json()
        assert page["total"] == len(searcher.programs)
        seen += [r["id"] for r in page["results"]]
        if len(page["results"]) < 50:
            break
        offset += 50
    assert len(seen) == len(set(seen)) == len(searcher.programs)


def test_directory_filters_by_category(client):
    page = client.get("/api/v1/programs", params={"category": "food", "limit": 100}).json()
    assert page["total"] == len(page["results"]) >= 10
    assert all("food" in r["categories"] for r in page["results"])


def test_unknown_program_is_404(client):
    assert client.get("/api/v1/programs/chi-999-nothing").status_code == 404


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"q": ""}, "q", "at least 1"),
        ({"q": "   "}, "q", "empty"),
        ({"q": "x" * 501}, "q", "at most 500"),
        ({"q": "food", "limit": 0}, "limit", "greater than or equal to 1"),
        ({"q": "food", "limit": 21}, "limit", "less than or equal to 20"),
        ({"q": "food", "category": "astrology"}, "category", "Unknown category"),
        ({"q": "food", "near": "Narnia"}, "near", "don't know the place"),
        ({"q": "food", "near": "90210"}, "near", "not a Chicago"),
        ({"q": "food", "lang": "fr"}, "lang", "'en' or 'es'"),
        ({}, "q", "Field required"),
    ],
)
def test_bad_input_is_a_clear_422(client, params, field, text):
    response = client.get(SEARCH, params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["loc"][-1] == field and text in d["msg"] for d in detail), detail


def test_directory_bad_input(client):
    assert client.get("/api/v1/programs", params={"limit": 1000}).status_code == 422
    assert client.get("/api/v1/programs", params={"offset": -1}).status_code == 422
    assert client.get("/api/v1/programs", params={"category": "nope"}).status_code == 422


def test_language_filter_keeps_programs_serving_in_that_language(client):
    body = client.get(SEARCH, params={"q": "help", "limit": 20, "language": "es"}).json()
    assert body["results"] and all("es" in r["languages"] for r in body["results"])


def test_a_local_pantry_outranks_far_ones_for_its_neighbours(client, searcher):
    pantries = [p for p in searcher.programs.values() if p.categories[0] == "food" and p.locations]
    # For a few located pantries, searching "food pantry" from their own community area lists them in the top 3.
    checked = 0
    for program in pantries:
        loc = next((loc for loc in program.locations if loc.community_area and not loc.confidential), None)
        if loc is None:
            continue
        body = client.get(SEARCH, params={"q": "food pantry", "limit": 3, "near": f"{loc.lat},{loc.lon}"}).json()
        first = body["results"][0]
        assert first["distance_km"] is None or first["distance_km"] < 5, (program.id, first["name"])
        checked += 1
    assert checked >= 5


def test_the_service_token_is_checked_when_presented(client, monkeypatch):
    from api.core import security

    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", "s3cret-token")
    security.security_settings.cache_clear()
    try:
        params = {"q": "food", "limit": 1}
        assert client.get(SEARCH, params=params).status_code == 200  # residents' pages carry no token
        ok = client.get(SEARCH, params=params, headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200
        wrong = client.get(SEARCH, params=params, headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "Invalid service token."
    finally:
        security.security_settings.cache_clear()

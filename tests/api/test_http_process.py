"""The api as `make run` starts it: a separate process over real HTTP, building its index at start-up."""

import time

import httpx
import pytest

from tests.stack import ApiProcess, StackFailed

SECRET_WORDS = "my boyfriend hurts me zqxv"


@pytest.fixture(scope="module")
def api_process(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("api") / "api.log"
    env = {"NAVIGATOR_QDRANT_PATH": str(tmp_path_factory.mktemp("qdrant-http")), "NAVIGATOR_API_LOG_LEVEL": "debug"}
    try:
        with ApiProcess(env, log=log_path) as api:
            yield api.url, log_path
    except StackFailed as exc:
        pytest.fail(str(exc))


def test_search_over_http(api_process):
    base, _ = api_process
    response = httpx.get(f"{base}/api/v1/programs/search", params={"q": SECRET_WORDS, "near": "Pilsen"}, timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["near"]["community_area"] == 31
    assert "gender_based_violence" in body["results"][0]["categories"]


def test_openapi_lists_the_contract(api_process):
    base, _ = api_process
    paths = httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"]
    assert {"/healthz", "/api/v1/programs/search", "/api/v1/programs", "/api/v1/programs/{program_id}"} <= set(paths)


def test_logs_never_hold_what_the_resident_typed(api_process):
    base, log_path = api_process
    httpx.get(f"{base}/api/v1/programs/search", params={"q": SECRET_WORDS}, timeout=10)
    httpx.get(f"{base}/api/v1/programs/search", params={"q": SECRET_WORDS, "near": "Narnia zqxv"}, timeout=10)
    time.sleep(0.5)
    log = log_path.read_text()
    assert "GET /api/v1/programs/search 200" in log  # requests are logged ...
    assert "zqxv" not in log and "boyfriend" not in log  # ... without their words

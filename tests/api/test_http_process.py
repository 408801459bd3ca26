"""The api as `make run` starts it: a separate process over real HTTP, building its index at start-up."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT

SECRET_WORDS = "my boyfriend hurts me zqxv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api_process(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("api") / "api.log"
    env = {
        **os.environ,
        "NAVIGATOR_API_PORT": str(port),
        "NAVIGATOR_QDRANT_PATH": str(tmp_path_factory.mktemp("qdrant-http")),
        "NAVIGATOR_API_LOG_LEVEL": "debug",
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"api did not start:\n{log_path.read_text()}")
            time.sleep(0.3)
        try:
            yield base, log_path
        finally:
            proc.terminate()
            proc.wait(timeout=30)


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

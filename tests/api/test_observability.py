"""Request ids, JSON log lines without residents' words, numbers or ids, liveness and readiness.

In-process tests use the shared app; one test starts `python -m api` as operators do and reads what it writes.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from api.core.logging import JsonFormatter, RequestIdFilter
from api.core.settings import ChatSettings, DatabaseSettings
from api.dependencies import get_chat_settings
from tests.api.test_chat import FakeBot
from tests.conftest import ROOT
from tests.stack import ApiProcess, StackFailed, free_port

SEARCH = "/api/v1/programs/search"
PHONE = "773-555-0199"
WORDS = "my boyfriend hurts me qzvx call " + PHONE
HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log(caplog):
    """What the api's loggers write, through the JSON formatter and request-id filter `python -m api` configures."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("navigator.api")
    caplog.set_level(logging.DEBUG, logger="navigator.api")
    logger.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    logger.removeHandler(handler)


# -- request id --------------------------------------------------------------------------------------------------


def test_a_request_id_is_generated_and_returned(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert HEX32.fullmatch(first) and HEX32.fullmatch(second) and first != second


def test_a_plain_incoming_request_id_is_kept(client):
    for given in ("act-0123456789abcdef", "a" * 64, "proxy.1_2-3"):
        assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


@pytest.mark.parametrize("bad", ["a" * 65, "has space", "semi;colon", "new\\nline", "ünïcode", "<script>"])
def test_a_bad_incoming_request_id_is_replaced(client, bad):
    returned = client.get("/healthz", headers={"X-Request-ID": bad.encode()}).headers
    assert HEX32.fullmatch(returned["X-Request-ID"])


def test_errors_carry_the_request_id_too(client):
    response = client.get(SEARCH, params={"q": ""}, headers={"X-Request-ID": "err-1"})
    assert response.status_code == 422
    assert response.headers["X-Request-ID"] == "err-1"


def test_the_web_chat_relay_forwards_its_request_id_to_the_bot(client):
    with FakeBot() as bot:
        settings = ChatSettings(_env_file=None, bot_url=bot.url, chat_rate_limit="100/minute")
        client.app.dependency_overrides[get_chat_settings] = lambda: settings
        try:
            given = client.post(
                "/api/v1/chat", json={"session": str(uuid.uuid4()), "message": "hi"}, headers={"X-Request-ID": "web-7"}
            )
            generated = client.post("/api/v1/chat", json={"session": str(uuid.uuid4()), "message": "hi"})
        finally:
            client.app.dependency_overrides.pop(get_chat_settings, None)
    assert given.status_code == generated.status_code == 200
    assert bot.seen[0]["headers"]["x-request-id"] == "web-7"
    assert bot.seen[1]["headers"]["x-request-id"] == generated.headers["X-Request-ID"]


# -- logs --------------------------------------------------------------------------------------------------------


def test_access_lines_are_json_with_the_route_template_and_no_query(client, json_log, searcher):
    program_id = next(iter(searcher.programs))
    client.get(SEARCH, params={"q": WORDS}, headers={"X-Request-ID": "search-1"})
    client.get(f"/api/v1/programs/{program_id}", params={"lang": "es"}, headers={"X-Request-ID": "detail-1"})
    lines = json_log()
    access = {line["request_id"]: line for line in lines if line["logger"] == "navigator.api.access"}
    search = access["search-1"]
    assert search["method"] == "GET" and search["path"] == SEARCH and search["status"] == 200
    assert isinstance(search["duration_ms"], float)
    assert {"ts", "level", "logger", "msg"} <= set(search)
    assert access["detail-1"]["path"] == "/api/v1/programs/{program_id}"
    text = json.dumps(lines)
    for secret in ("qzvx", "boyfriend", PHONE, "?q", "q=", "lang=es", program_id):
        assert secret not in text, secret


def test_a_line_logged_inside_a_request_carries_its_id(client, json_log):
    # The bot is down: the relay logs a warning from inside the endpoint, then the access line follows.
    settings = ChatSettings(_env_file=None, bot_url=f"http://127.0.0.1:{free_port()}", chat_rate_limit="100/minute")
    client.app.dependency_overrides[get_chat_settings] = lambda: settings
    try:
        response = client.post(
            "/api/v1/chat",
            json={"session": str(uuid.uuid4()), "message": f"text me at {PHONE}"},
            headers={"X-Request-ID": "chat-down-1"},
        )
    finally:
        client.app.dependency_overrides.pop(get_chat_settings, None)
    assert response.status_code == 503
    mine = [line for line in json_log() if line["request_id"] == "chat-down-1"]
    assert [line["logger"] for line in mine] == ["navigator.api.chat", "navigator.api.access"]
    assert mine[1]["path"] == "/api/v1/chat" and mine[1]["status"] == 503
    assert PHONE not in json.dumps(json_log())


def test_conversation_paths_are_logged_as_their_template(client, people, json_log):
    _, headers = people
    conversation = "sms-" + uuid.uuid4().hex
    client.get(f"/api/v1/conversations/{conversation}/referrals", headers={**headers["service"], "X-Request-ID": "c1"})
    (line,) = [line for line in json_log() if line["request_id"] == "c1"]
    assert line["path"] == "/api/v1/conversations/{conversation_id}/referrals"
    assert conversation not in json.dumps(json_log())


def test_lines_outside_a_request_have_no_request_id(json_log):
    logging.getLogger("navigator.api").warning("outside")
    assert json_log()[-1]["request_id"] is None and json_log()[-1]["msg"] == "outside"


# -- liveness and readiness --------------------------------------------------------------------------------------


def test_livez_and_healthz(client):
    assert client.get("/livez").json() == {"status": "alive"}
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_the_database_and_search_are_up(client, database_settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "search": "ok"}}


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(client, search_settings, model, tmp_path):
    from api.main import create_app

    # The shared app holds its Qdrant folder (local mode admits one client): this app opens a copy of its index.
    qdrant = tmp_path / "qdrant"
    shutil.copytree(search_settings.qdrant_path, qdrant, ignore=shutil.ignore_patterns(".lock"))
    unreachable = DatabaseSettings(
        _env_file=None, database_url=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none?connect_timeout=2"
    )
    app = create_app(
        search_settings.model_copy(update={"qdrant_path": qdrant}), model=model, database_settings=unreachable
    )
    with TestClient(app) as down:
        assert down.get("/livez").status_code == 200  # alive, just not ready
        response = down.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "not ready", "checks": {"database": "unavailable", "search": "ok"}}
        assert "Traceback" not in response.text and "psycopg" not in response.text and "nobody" not in response.text


# -- settings ----------------------------------------------------------------------------------------------------


def test_new_settings_are_documented():
    example = (ROOT / ".env.example").read_text()
    for name in ("NAVIGATOR_API_LOG_FORMAT", "NAVIGATOR_METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR"):
        assert re.search(rf"^#? ?{name}=", example, re.M), name
    # The action server's metrics settings (pydantic 1, in .venv-bot) are read from their source.
    source = (ROOT / "actions" / "metrics.py").read_text()
    names = {f"NAVIGATOR_{n.upper()}" for n in re.findall(r"^    (\w+): .* = Field\(", source, re.M)}
    assert names == {"NAVIGATOR_ACTIONS_METRICS_PORT", "NAVIGATOR_ACTIONS_METRICS_HOST"}
    for name in names:
        assert re.search(rf"^{name}=", example, re.M), name


# -- the api as operators run it ---------------------------------------------------------------------------------


def test_python_m_api_writes_json_lines_and_counts_in_multiprocess_mode(tmp_path):
    log_path, multiproc = tmp_path / "api.log", tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_99999.db").write_bytes(b"stale")  # a previous run's file: emptied at start
    env = {
        "NAVIGATOR_API_LOG_FORMAT": "json",
        "NAVIGATOR_API_LOG_LEVEL": "info",
        "NAVIGATOR_METRICS_TOKEN": "",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
    }
    try:
        with ApiProcess(env, log=log_path) as api:
            found = httpx.get(f"{api.url}{SEARCH}", params={"q": WORDS}, headers={"X-Request-ID": "proc-1"}, timeout=30)
            assert found.status_code == 200 and found.headers["X-Request-ID"] == "proc-1"
            # Without a token /metrics answers the loopback, which this test is.
            scraped = httpx.get(f"{api.url}/metrics", timeout=10)
            assert httpx.get(f"{api.url}/readyz", timeout=10).status_code == 200
    except StackFailed as exc:
        pytest.fail(str(exc))
    assert scraped.status_code == 200
    assert re.search(r'navigator_searches_total\{lang="en"\} 1\.0', scraped.text)
    assert re.search(
        r'navigator_http_requests_total\{method="GET",route="/api/v1/programs/search",status="200"\} 1\.0', scraped.text
    )
    assert "navigator_referrals{" in scraped.text
    assert not (multiproc / "counter_99999.db").exists() and list(multiproc.glob("counter_*.db"))
    raw = log_path.read_text()
    lines = [json.loads(line) for line in raw.splitlines() if line.strip()]  # every line is one JSON object
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    (access,) = [line for line in lines if line.get("request_id") == "proc-1"]
    assert access["path"] == SEARCH and access["status"] == 200
    for secret in ("qzvx", "boyfriend", PHONE):
        assert secret not in raw, secret

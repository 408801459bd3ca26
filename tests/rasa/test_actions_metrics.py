"""The action server's metrics and request ids: a real `python -m rasa_sdk` process called over HTTP as Rasa calls it,
with the api unreachable (an action that meets it down is the case operators must see)."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from actions import metrics
from actions.api_client import ApiUnavailable, NavigatorApi
from actions.settings import ActionsSettings

ROOT = Path(__file__).resolve().parents[2]
WORDS = "my boyfriend hurts me qzvx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def action_call(name: str) -> dict:
    return {
        "next_action": name,
        "sender_id": "unit",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "unit",
            "slots": {"language": "en", "location": None, "need": None, "results": None, "offset": 0.0},
            "latest_message": {"text": WORDS, "intent": {"name": "find_program", "confidence": 0.9}, "entities": []},
            "events": [],
            "active_loop": {},
        },
    }


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    port, metrics_port, dead_api = free_port(), free_port(), free_port()
    log_path = tmp_path_factory.mktemp("actions") / "actions.log"
    env = {
        **os.environ,
        "NAVIGATOR_API_URL": f"http://127.0.0.1:{dead_api}",
        "NAVIGATOR_API_RETRIES": "0",
        "NAVIGATOR_ACTIONS_METRICS_PORT": str(metrics_port),
        "NAVIGATOR_REFERRAL_OUTBOX": str(log_path.parent / "outbox.db"),
    }
    with log_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the action server did not start"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}", metrics_port, log_path
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_actions_are_counted_and_served_once_the_first_action_ran(action_server):
    url, metrics_port, log_path = action_server
    assert not listening(metrics_port)  # nothing started at import or start-up
    ran = httpx.post(f"{url}/webhook", json=action_call("action_search_programs"), timeout=30)
    assert ran.status_code == 200
    assert ran.json()["responses"][0]["response"] == "utter_search_unavailable"
    unknown = httpx.post(f"{url}/webhook", json=action_call("action_made_up_by_a_caller"), timeout=30)
    assert unknown.status_code == 404
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    assert re.search(r'navigator_actions_total\{action="action_search_programs",outcome="ok"\} 1\.0', text)
    assert re.search(r'navigator_actions_total\{action="unknown",outcome="not_found"\} 1\.0', text)
    assert re.search(r"navigator_actions_api_unavailable_total 1\.0", text)
    assert re.search(r'navigator_action_duration_seconds_count\{action="action_search_programs"\} 1\.0', text)
    assert "action_made_up_by_a_caller" not in text
    # The action's request id is in the action server's log, on its start and on the api failure alike.
    log = log_path.read_text()
    started = re.search(r"action action_search_programs started \[request (act-[0-9a-f]{16})\]", log)
    assert started, log
    assert f"[request {started.group(1)}]" in log[started.end() :]
    assert "qzvx" not in log and "boyfriend" not in log


def test_the_api_client_sends_one_request_id_for_all_its_calls_retries_included():
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-Request-ID"])
        return httpx.Response(503 if len(seen) == 1 else 200, json={"results": []})

    settings = ActionsSettings(api_url="http://api.test", api_retries=1)
    token = metrics.action_request_id.set("act-0123456789abcdef")
    try:
        client = NavigatorApi(settings, transport=httpx.MockTransport(api))
        client.search("food", lang="en")  # a 503, retried, then 200
        client.program("chi-001", lang="en")
    finally:
        metrics.action_request_id.reset(token)
    assert seen == ["act-0123456789abcdef"] * 3


def test_outside_an_action_each_client_has_its_own_id_and_failures_name_it():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    settings = ActionsSettings(api_url="http://api.test", api_retries=0)
    first, second = (NavigatorApi(settings, transport=httpx.MockTransport(down)) for _ in range(2))
    assert re.fullmatch(r"act-[0-9a-f]{16}", first.request_id) and first.request_id != second.request_id
    before = metrics.API_UNAVAILABLE._value.get()
    with pytest.raises(ApiUnavailable, match=re.escape(f"ConnectError [request {first.request_id}]")):
        first.search(WORDS, lang="en")
    assert metrics.API_UNAVAILABLE._value.get() == before + 1


def test_no_port_means_no_metrics_endpoint():
    assert metrics.ensure_server(metrics.MetricsSettings(actions_metrics_port=0)) is False

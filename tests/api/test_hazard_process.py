"""The hazard report queue across processes (issue 8): reports made while 311 is down survive a restart of the api,
and `python -m api.hazard_filing`, SIGKILLed while the city is slow to answer and started again, files each report
with the city exactly once. Real processes, a real database, the Open311 stand-in over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from tests.api.test_hazard_reports import API_KEY, CODES
from tests.conftest import postgres_schema
from tests.open311_standin import Open311StandIn
from tests.stack import ROOT, ApiProcess, api_env, wait_for

SERVICE = "service-token-" + uuid.uuid4().hex


def post_report(api_url: str, n: int) -> dict:
    """The receipt, with the conversation it was made in."""
    conversation = f"web-{uuid.uuid4()}"
    body = {"channel": "web", "language": "en", "conversation_id": conversation, "hazard_type": "street_light",
            "location": f"{1000 + n} W 63rd St", "community_area": "ENGLEWOOD"}  # fmt: skip
    headers = {"Authorization": f"Bearer {SERVICE}", "Idempotency-Key": uuid.uuid4().hex}
    answer = httpx.post(f"{api_url}/api/v1/hazard-reports", json=body, timeout=30, headers=headers)
    assert answer.status_code == 201, answer.text
    return {**answer.json(), "conversation_id": conversation}


def test_an_outage_and_restarts_file_each_report_exactly_once(tmp_path):
    # PostgreSQL, as production runs it: a minute of processes, so once (the claims are tested on both backends in
    # test_hazard_reports.py).
    with postgres_schema() as database, Open311StandIn(API_KEY) as city:
        env = {
            **api_env(tmp_path, database, SERVICE),
            "NAVIGATOR_OPEN311_URL": city.url,
            "NAVIGATOR_OPEN311_API_KEY": API_KEY,
            "NAVIGATOR_OPEN311_SERVICE_CODES": json.dumps(CODES),
            "NAVIGATOR_OPEN311_TIMEOUT_S": "1",
            "NAVIGATOR_OPEN311_RETRY_EVERY_S": "0.5",
            "NAVIGATOR_API_LOG_FORMAT": "text",
            "NAVIGATOR_OPEN311_HEARTBEAT": str(tmp_path / "filing.heartbeat"),
        }
        city.down = True
        with ApiProcess(env, log=tmp_path / "api-1.log") as api:
            made = [post_report(api.url, n) for n in range(6)]
        assert all(r["state"] == "queued" for r in made) and city.received == []

        # The api restarted (a deploy) while the city is still down: the queue is in the database, not the process.
        with ApiProcess(env, log=tmp_path / "api-2.log") as api:
            city.down = False
            city.slow_s = 1.5  # each filing reaches the city, but its answer comes after the filer stopped waiting
            log = (tmp_path / "filing.log").open("a")
            first = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "api.hazard_filing"], cwd=ROOT,
                                     env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
            try:
                wait_for(lambda: len(city.received) >= 2, 120, "the first filings")
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=30)
            city.slow_s = 0
            second = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "api.hazard_filing"], cwd=ROOT,
                                      env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
            try:
                wait_for(lambda: len(filed_numbers(api.url, made)) == len(made), 180, "every report filed")
                time.sleep(2)  # more passes: nothing more may reach the city
                healthy = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "api.hazard_filing", "--healthy"],
                                         cwd=ROOT, env={**os.environ, **env}, timeout=60)  # fmt: skip
                assert healthy.returncode == 0  # the container's health check: the loop is turning
            finally:
                second.send_signal(signal.SIGTERM)
                assert second.wait(timeout=30) == 0
            filed = filed_numbers(api.url, made)
        per_report = Counter(
            r["code"] for form in city.received for r in made if f"[{r['code']}]" in form["description"]
        )
        assert per_report == {r["code"]: 1 for r in made}, per_report  # exactly one city request each
        assert sorted(filed.values()) == sorted(city.requests)  # and each report holds that request's number
    assert "W 63rd St" not in Path(tmp_path / "filing.log").read_text()


def filed_numbers(api_url: str, made: list[dict]) -> dict[str, str]:
    """code -> the city's number, for each report the api says is filed (asked by conversation, as the bot asks)."""
    numbers = {}
    for report in made:
        answer = httpx.get(f"{api_url}/api/v1/conversations/{report['conversation_id']}/hazard-reports", timeout=30,
                           headers={"Authorization": f"Bearer {SERVICE}"})  # fmt: skip
        numbers |= {r["code"]: r["service_request_id"] for r in answer.json() if r["state"] == "filed"}
    return numbers

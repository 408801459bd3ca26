"""Referral round trips against the real stack, printed (never pass/fail).

    .venv/bin/python bench/referrals.py [--conversations 20]

Starts api, actions and bot as `make run` does (trained model needed: `make train`). In one run:
- a need with a ZIP code over the REST channel (the baseline, as in bench/bot.py);
- the referral questions (form turns: validation in the action server);
- the consent YES (the referral is queued, sent to the api and confirmed);
- POST /api/v1/referrals directly: a new referral, and the same request retried with its Idempotency-Key.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bot import summary, timed_turns  # noqa: E402
from tests.api.factories import referral_request  # noqa: E402
from tests.sms_client import SMS_ENV  # noqa: E402
from tests.stack import Stack  # noqa: E402

NEEDS = ["i need food near 60623", "help paying rent 60609", "looking for a job in Pilsen", "need a lawyer 60632"]
QUESTIONS = ["Sam", "1", "773 555 0100", "1", "after 6 pm", "1"]


def say(client: httpx.Client, sender: str, text: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, " ".join(m.get("text", "") for m in response.json())


def conversations(client: httpx.Client, n: int) -> tuple[list[float], list[float], int]:
    form, consent, codes = [], [], 0
    for i in range(n):
        sender = f"bench-{uuid.uuid4()}"
        say(client, sender, NEEDS[i % len(NEEDS)])
        say(client, sender, "CONNECT")
        for answer in QUESTIONS:
            form.append(say(client, sender, answer)[0])
        elapsed, text = say(client, sender, "YES")
        consent.append(elapsed)
        codes += "CSCC-" in text
    return form, consent, codes


def direct(api_url: str, token: str, n: int) -> tuple[list[float], list[float]]:
    new, retried = [], []
    with httpx.Client(base_url=api_url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as api:
        for _ in range(n):
            body = referral_request(conversation_id=f"web-{uuid.uuid4()}").model_dump(mode="json")
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            for times, expected in ((new, 201), (retried, 200)):
                started = time.perf_counter()
                response = api.post("/api/v1/referrals", json=body, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == expected, response.text
    return new, retried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="navigator-bench-referrals-") as tmp,
        Stack(Path(tmp), overrides=SMS_ENV) as stack,
        httpx.Client(base_url=stack.bot_url, timeout=60) as client,
    ):
        timed_turns(client, NEEDS, 10)  # warm-up
        conversations(client, 2)
        search = timed_turns(client, NEEDS, 100)
        form, consent, codes = conversations(client, args.conversations)
        api_url = f"http://127.0.0.1:{stack.ports['api']}"
        new, retried = direct(api_url, stack.secrets["NAVIGATOR_SERVICE_TOKEN"], 100)
    print(f"== {args.conversations} web referrals over the REST channel ({codes} codes given) ==")
    print(f"search turn (baseline)        {summary(search)}")
    print(f"form question turn            {summary(form)}")
    print(f"consent YES (referral sent)   {summary(consent)}")
    print(f"ratio form/search (p50): {statistics.median(form) / statistics.median(search):.2f}  "
          f"consent/search (p50): {statistics.median(consent) / statistics.median(search):.2f}")  # fmt: skip
    print("\n== POST /api/v1/referrals, one at a time ==")
    print(f"new referral                  {summary(new)}")
    print(f"retry, same Idempotency-Key   {summary(retried)}")
    print(f"ratio retry/new (p50): {statistics.median(retried) / statistics.median(new):.2f}")


if __name__ == "__main__":
    main()

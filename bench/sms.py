"""SMS channel round trips and throughput: Twilio-signed webhooks against the real bot, printed (never pass/fail).

    .venv/bin/python bench/sms.py [--turns 200] [--senders 16] [--seconds 60]

Starts api, actions and bot as `make run` does (trained model needed: `make train`). In one run: the same need with a
ZIP code over the REST channel (the baseline: no signature check, no state, no TwiML) and over the signed SMS webhook,
one at a time; then 16 phones texting at once for 60 s, counting messages/s and errors.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bot import TURNS_PER_CONVERSATION, summary  # noqa: E402
from tests.sms_client import SMS_ENV, SmsClient, new_phone  # noqa: E402
from tests.stack import Stack  # noqa: E402

NEEDS = ["i need food near 60623", "help paying rent 60609", "looking for a job in Pilsen", "need a lawyer 60632"]
CONVERSATION = ["hi", "i need food for my family near 60623", "2", "more", "HELP", "thanks"]


def rest_turns(client: httpx.Client, n: int) -> list[float]:
    times = []
    for i in range(n):
        if i % TURNS_PER_CONVERSATION == 0:
            sender = f"bench-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": NEEDS[i % len(NEEDS)]})
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        assert response.json(), "the bot answered nothing"
    return times


def sms_turns(sms: SmsClient, n: int) -> list[float]:
    times = []
    for i in range(n):
        if i % TURNS_PER_CONVERSATION == 0:
            phone = new_phone()
        params = sms.params(phone, NEEDS[i % len(NEEDS)])
        signature = sms.sign(params)  # Twilio signs before sending: not part of the round trip
        started = time.perf_counter()
        response = sms.post(params, signature)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        assert list(ET.fromstring(response.text).iter("Message")), "the bot answered nothing"
    return times


def load(sms_base: str, workdir: Path, senders: int, seconds: float) -> tuple[int, int, list[float]]:
    stop = time.monotonic() + seconds
    counts = {"ok": 0, "errors": 0}
    latencies: list[float] = []
    lock = threading.Lock()

    def phone_texting() -> None:
        with httpx.Client(timeout=30) as client:
            sms = SmsClient(sms_base, workdir, client)
            i = 0
            while time.monotonic() < stop:
                if i % len(CONVERSATION) == 0:
                    phone = new_phone()
                params = sms.params(phone, CONVERSATION[i % len(CONVERSATION)])
                signature = sms.sign(params)
                started = time.perf_counter()
                try:
                    response = sms.post(params, signature)
                    good = response.status_code == 200 and bool(list(ET.fromstring(response.text).iter("Message")))
                except (httpx.HTTPError, ET.ParseError):
                    good = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    counts["ok" if good else "errors"] += 1
                    latencies.append(elapsed)
                i += 1

    threads = [threading.Thread(target=phone_texting) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["ok"], counts["errors"], latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="navigator-bench-sms-") as tmp:
        run(Path(tmp), args)


def run(workdir: Path, args: argparse.Namespace) -> None:
    with Stack(workdir, overrides=SMS_ENV) as stack:
        with httpx.Client(base_url=stack.bot_url, timeout=30) as client, httpx.Client(timeout=30) as raw:
            sms = SmsClient(stack.bot_url, workdir, raw)
            rest_turns(client, 20)  # warm-up: model graphs, connections, caches
            sms_turns(sms, 20)
            rest = rest_turns(client, args.turns)
            signed = sms_turns(sms, args.turns)
        print("== one message at a time: a need with a ZIP code ==")
        print(f"REST channel (baseline)      {summary(rest)}")
        print(f"signed SMS webhook (TwiML)   {summary(signed)}")
        print(f"ratio SMS/REST (p50): {statistics.median(signed) / statistics.median(rest):.2f}")
        ok, errors, latencies = load(stack.bot_url, workdir, args.senders, args.seconds)
        print(f"\n== {args.senders} phones texting for {args.seconds:.0f} s (mix: {', '.join(CONVERSATION)}) ==")
        print(f"messages: {ok + errors}  errors: {errors}  throughput: {(ok + errors) / args.seconds:.1f} messages/s")
        print(f"latency under load           {summary(latencies)}")


if __name__ == "__main__":
    main()

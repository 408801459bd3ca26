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
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bot import TURNS_PER_CONVERSATION, load, summary, timed_turns  # noqa: E402
from tests.sms_client import SMS_ENV, SmsClient, new_phone  # noqa: E402
from tests.stack import Stack  # noqa: E402

NEEDS = ["i need food near 60623", "help paying rent 60609", "looking for a job in Pilsen", "need a lawyer 60632"]
CONVERSATION = ["hi", "i need food for my family near 60623", "2", "more", "HELP", "thanks"]


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


def phone_turn(sms_base: str, workdir: Path) -> Callable[[httpx.Client, int], bool]:
    phones: dict[int, str] = {}

    def turn(client: httpx.Client, i: int) -> bool:
        if i % len(CONVERSATION) == 0:  # each pass through the mix is a new phone's conversation
            phones[threading.get_ident()] = new_phone()
        sms = SmsClient(sms_base, workdir, client)
        params = sms.params(phones[threading.get_ident()], CONVERSATION[i % len(CONVERSATION)])
        response = sms.post(params, sms.sign(params))
        try:
            return response.status_code == 200 and bool(list(ET.fromstring(response.text).iter("Message")))
        except ET.ParseError:
            return False

    return turn


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
            timed_turns(client, NEEDS, 20)  # warm-up: model graphs, connections, caches
            sms_turns(sms, 20)
            rest = timed_turns(client, NEEDS, args.turns)
            signed = sms_turns(sms, args.turns)
        print("== one message at a time: a need with a ZIP code ==")
        print(f"REST channel (baseline)      {summary(rest)}")
        print(f"signed SMS webhook (TwiML)   {summary(signed)}")
        print(f"ratio SMS/REST (p50): {statistics.median(signed) / statistics.median(rest):.2f}")
        ok, errors, latencies = load(args.senders, args.seconds, phone_turn(stack.bot_url, workdir))
        print(f"\n== {args.senders} phones texting for {args.seconds:.0f} s (mix: {', '.join(CONVERSATION)}) ==")
        print(f"messages: {ok + errors}  errors: {errors}  throughput: {(ok + errors) / args.seconds:.1f} messages/s")
        print(f"latency under load           {summary(latencies)}")


if __name__ == "__main__":
    main()

"""Bot replicas sharing PostgreSQL (conversations) and Redis (locks), printed (never pass/fail).

    .venv/bin/python bench/scale.py [--residents 16] [--seconds 60]

Starts the stack as `make run` does but with bot/endpoints-scaled.yml (trained model needed: `make train`), plus a
second bot process. In one run, the same load (residents texting the bench/bot.py mix, each conversation on its own
sender) goes first to one replica (the baseline), then alternates between the two replicas message by message.
Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bot import CONVERSATION, load, summary  # noqa: E402
from tests.stack import Stack, extra_bot, scaled_env, scratch_database  # noqa: E402


def turn_on(urls: list[str]) -> Callable[[httpx.Client, int], bool]:
    """The bench/bot.py mix; message i of a conversation goes to replica i mod len(urls)."""
    senders: dict[int, str] = {}

    def turn(client: httpx.Client, i: int) -> bool:
        if i % len(CONVERSATION) == 0:
            senders[threading.get_ident()] = f"scale-{uuid.uuid4().hex[:8]}"
        base = urls[i % len(urls)]
        body = {"sender": senders[threading.get_ident()], "message": CONVERSATION[i % len(CONVERSATION)]}
        response = client.post(f"{base}/webhooks/rest/webhook", json=body)
        return response.status_code == 200 and bool(response.json())

    return turn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="navigator-bench-scale-") as tmp, scratch_database() as db:
        overrides = scaled_env(db, redis_db=random.randint(2, 15))
        with Stack(Path(tmp), overrides=overrides) as stack, extra_bot(stack) as second:
            urls = [stack.bot_url, second]
            load(4, 10, turn_on(urls))  # warm-up: both replicas' graphs, connections, caches
            results = {}
            for label, targets in (("one replica (baseline)", urls[:1]), ("two replicas, alternating", urls)):
                results[label] = load(args.residents, args.seconds, turn_on(targets))
    print(f"== {args.residents} residents for {args.seconds:.0f} s (mix: {', '.join(CONVERSATION)}) ==")
    rates = {}
    for label, (ok, errors, latencies) in results.items():
        rates[label] = (ok + errors) / args.seconds
        print(f"{label:28} messages: {ok + errors}  errors: {errors}  {rates[label]:.1f} messages/s")
        print(f"{'':28} latency {summary(latencies)}")
    (one_rate, two_rate), (one, two) = rates.values(), results.values()
    print(f"ratio two/one: throughput {two_rate / one_rate:.2f}, "
          f"p50 latency {statistics.median(two[2]) / statistics.median(one[2]):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

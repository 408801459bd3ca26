"""Bot round-trip latency and throughput over the REST channel, printed (never pass/fail).

    .venv/bin/python bench/bot.py [--turns 200] [--residents 16] [--seconds 60]

Starts api, actions and bot as `make run` does (trained model needed: `make train`). Measures, in one run:
a plain greeting (bot only: the baseline) and a search turn (bot -> action -> api -> reply), one at a time; then
16 simulated residents for 60 s with a realistic mix of turns, counting messages/s and errors.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.stack import Stack  # noqa: E402

CONVERSATION = ["hi", "i need food for my family", "60623", "2", "more", "thanks"]
SEARCHES = ["i need food for my family", "help paying rent", "looking for a job", "need a lawyer", "counseling"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms  (n={len(values)})"


# A resident's conversation is a handful of turns; the whole tracker travels to the action server on every call,
# so one sender with hundreds of turns would measure tracker size, not a resident's wait.
TURNS_PER_CONVERSATION = 6


def timed_turns(client: httpx.Client, texts: list[str], n: int) -> list[float]:
    times = []
    for i in range(n):
        if i % TURNS_PER_CONVERSATION == 0:
            sender = f"bench-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": texts[i % len(texts)]})
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        assert response.json(), "the bot answered nothing"
    return times


def load(workers: int, seconds: float, turn: Callable[[httpx.Client, int], bool]) -> tuple[int, int, list[float]]:
    """workers threads, each with its own client, calling turn(client, i) for i = 0, 1, ... until time is up.

    turn sends one message and says whether it was answered; a raised httpx error counts as an error too.
    """
    stop = time.monotonic() + seconds
    counts = {"ok": 0, "errors": 0}
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(timeout=30) as client:
            i = 0
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    good = turn(client, i)
                except httpx.HTTPError:
                    good = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    counts["ok" if good else "errors"] += 1
                    latencies.append(elapsed)
                i += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["ok"], counts["errors"], latencies


def resident_turn(base: str) -> Callable[[httpx.Client, int], bool]:
    senders: dict[int, str] = {}

    def turn(client: httpx.Client, i: int) -> bool:
        if i % len(CONVERSATION) == 0:  # each pass through the mix is a new resident's conversation
            senders[threading.get_ident()] = f"load-{uuid.uuid4().hex[:8]}"
        sender = senders[threading.get_ident()]
        message = CONVERSATION[i % len(CONVERSATION)]
        response = client.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": message})
        return response.status_code == 200 and bool(response.json())

    return turn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--residents", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="navigator-bench-bot-") as tmp, Stack(Path(tmp)) as stack:
        with httpx.Client(base_url=stack.bot_url, timeout=30) as client:
            timed_turns(client, ["hi", SEARCHES[0]], 20)  # warm-up: model graphs, connections, caches
            greet = timed_turns(client, ["hi"], args.turns)
            search = timed_turns(client, SEARCHES, args.turns)
        print("== one resident at a time, REST channel ==")
        print(f"greeting (bot only)          {summary(greet)}")
        print(f"search turn (bot+action+api) {summary(search)}")
        print(f"ratio search/greeting (p50): {statistics.median(search) / statistics.median(greet):.2f}")
        ok, errors, latencies = load(args.residents, args.seconds, resident_turn(stack.bot_url))
        print(f"\n== {args.residents} residents for {args.seconds:.0f} s (mix: {', '.join(CONVERSATION)}) ==")
        print(f"messages: {ok + errors}  errors: {errors}  throughput: {(ok + errors) / args.seconds:.1f} messages/s")
        print(f"latency under load           {summary(latencies)}")


if __name__ == "__main__":
    main()

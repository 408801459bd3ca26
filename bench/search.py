"""Search quality and latency, printed (never pass/fail).

    .venv/bin/python bench/search.py [--eval ../shared/eval/search_dev.jsonl] [--synthetic 20000] [--requests 300]

1. Quality on the shared development set and on our paraphrase set (bench/data/search_paraphrase.jsonl):
   Success@3 and MRR for hybrid, dense only and BM25 only, English and Spanish separately.
2. Latency through the HTTP api (a real `python -m api` process, real model) at the real catalog size and at a
   synthetic catalog, with two baselines measured in this same run: GET /healthz over the same connection (the
   HTTP floor) and the same searches in-process (the search work itself).
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.catalog import PROGRAMS_DIR, catalog_files, load_programs, read_raw  # noqa: E402
from knowledge.embedding import load_model  # noqa: E402
from knowledge.evaluation import evaluate, read_cases  # noqa: E402
from knowledge.geo import community_areas  # noqa: E402
from knowledge.index import build_index, open_client  # noqa: E402
from knowledge.search import Searcher, SearchQuery  # noqa: E402
from knowledge.settings import SearchSettings  # noqa: E402
from tests.stack import ApiProcess  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):6.2f} ms  p95 {percentile(values, 0.95):6.2f} ms  (n={len(values)})"


def quality(searcher: Searcher, eval_path: Path) -> None:
    cases = read_cases(eval_path)
    groups = {"all": cases, "en": [c for c in cases if c.lang == "en"], "es": [c for c in cases if c.lang == "es"]}
    print(f"\n== quality on {eval_path.name} ({len(cases)} queries) ==")
    print(f"{'mode':8} {'lang':4} {'n':>3} {'Success@3':>10} {'MRR':>6}")
    results = {}
    for mode in ("hybrid", "dense", "bm25"):
        for name, group in groups.items():
            scores = evaluate(searcher, group, mode=mode)  # type: ignore[arg-type]
            results[(mode, name)] = scores
            print(f"{mode:8} {name:4} {scores.n:>3} {scores.success_at_3:>10.3f} {scores.mrr:>6.3f}")
    for mode in ("hybrid", "bm25"):
        if results[(mode, "all")].misses:
            print(f"{mode} misses: {list(results[(mode, 'all')].misses)}")
    h, b = results[("hybrid", "all")], results[("bm25", "all")]
    print(
        f"hybrid vs bm25 Success@3: {h.success_at_3:.3f} vs {b.success_at_3:.3f} "
        f"(ratio {h.success_at_3 / b.success_at_3 if b.success_at_3 else float('inf'):.2f})"
    )


def in_process_latency(searcher: Searcher, queries: list[str], n: int) -> list[float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        searcher.search(SearchQuery(text=queries[i % len(queries)], limit=5))
        times.append((time.perf_counter() - started) * 1000)
    return times


def http_latency(settings: SearchSettings, queries: list[str], n: int) -> tuple[list[float], list[float]]:
    env = {
        "NAVIGATOR_API_LOG_LEVEL": "warning",
        "NAVIGATOR_QDRANT_PATH": str(settings.qdrant_path),
        "NAVIGATOR_CATALOG_DIR": str(settings.catalog_dir),
        "NAVIGATOR_AUTO_INDEX": "false",
    }
    with ApiProcess(env) as api, httpx.Client(base_url=api.url, timeout=10) as http:
        for i in range(20):  # warm-up
            http.get("/api/v1/programs/search", params={"q": queries[i % len(queries)]})
        health, search = [], []
        for i in range(n):
            started = time.perf_counter()
            http.get("/healthz")
            health.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            response = http.get("/api/v1/programs/search", params={"q": queries[i % len(queries)], "limit": 5})
            search.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return health, search


def synthetic_catalog(directory: Path, size: int, seed: int = 7) -> None:
    """`size` programs cloned from the real ones, each moved to a random community area and renamed, so
    vectors, BM25 statistics and distances vary like a big directory's would."""
    rng = random.Random(seed)
    base = [r for f in catalog_files(PROGRAMS_DIR) for r in read_raw(f)]
    areas = list(community_areas().values())
    by_file: dict[str, list[dict]] = {}
    for i in range(size):
        record = copy.deepcopy(base[i % len(base)])
        area = rng.choice(areas)
        record["id"] = f"chi-{900 + i // 10000:03d}-synthetic-{i:05d}"
        # The short name stays: it is sized to fit one SMS with the summary, which the validator checks.
        # The § marks let CloneEncoder find the base text (see below).
        record["name"] = {lang: f"{text} §{area.name} site {i}§" for lang, text in record["name"].items()}
        for lang in ("en", "es"):
            record["description"][lang] += f" §{area.name}, {area.side}§"
        record["locations"] = [
            {
                "name": f"Site {i}",
                "lat": round(area.lat + rng.uniform(-0.01, 0.01), 5),
                "lon": round(area.lon + rng.uniform(-0.01, 0.01), 5),
                "geocode": "community_area",
                "community_area": area.number,
            }
        ]
        by_file.setdefault(record["categories"][0], []).append(record)
    for category, records in by_file.items():
        (directory / f"{category}.yml").write_text(
            yaml.dump(records, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )


class CloneEncoder:
    """For the synthetic catalog only: each base program's text is embedded once by the real model, and its clones get
    that vector plus a little noise. Encoding 40,000 long texts would take the bench ~20 minutes on 2 cores and says
    nothing about search latency, which depends on the number of points, not on where they lie."""

    def __init__(self, model: Any, seed: int = 11) -> None:
        self.model = model
        self.cache: dict[str, np.ndarray] = {}
        self.rng = np.random.default_rng(seed)

    def get_embedding_dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        keys = [re.sub(r" ?§[^§]*§", "", t) for t in texts]
        missing = sorted({k for k in keys if k not in self.cache})
        if missing:
            for key, vector in zip(missing, self.model.encode(missing, **kwargs), strict=True):
                self.cache[key] = vector
        vectors = np.stack([self.cache[k] for k in keys]) + self.rng.normal(
            0, 0.02, (len(keys), len(self.cache[keys[0]]))
        )
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def latency_block(
    label: str, settings: SearchSettings, model: Any, queries: list[str], n: int, index_encoder: Any = None
) -> None:
    programs = load_programs(settings.catalog_dir)
    client = open_client(settings)
    started = time.perf_counter()
    result = build_index(client, index_encoder or model, programs, settings, progress=True)
    print(
        f"\n== latency, {label}: {len(programs)} programs "
        f"(index {'built' if result.rebuilt else 'reused'} in {time.perf_counter() - started:.1f} s) =="
    )
    searcher = Searcher(client, model, programs, settings)  # type: ignore[arg-type]
    in_process_latency(searcher, queries, 20)
    local = in_process_latency(searcher, queries, n)
    client.close()  # local mode: the api process must own the folder
    health, http = http_latency(settings, queries, n)
    print(f"in-process search   {summary(local)}")
    print(f"HTTP GET /healthz   {summary(health)}")
    print(f"HTTP search         {summary(http)}")
    print(
        f"ratios (p50): HTTP search / in-process {statistics.median(http) / statistics.median(local):.2f}, "
        f"HTTP search / healthz {statistics.median(http) / statistics.median(health):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval" / "search_dev.jsonl")
    parser.add_argument("--paraphrases", type=Path, default=ROOT / "bench" / "data" / "search_paraphrase.jsonl")
    parser.add_argument("--synthetic", type=int, default=20000, help="synthetic catalog size (0 to skip)")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}")
    started = time.perf_counter()
    model = load_model()
    print(f"model load: {time.perf_counter() - started:.1f} s")
    queries = [c.q for c in read_cases(args.eval)] if args.eval.exists() else ["food", "comida", "housing help"]
    with tempfile.TemporaryDirectory(prefix="navigator-bench-") as tmp:
        real = SearchSettings(qdrant_path=Path(tmp) / "real", qdrant_url=None)
        client = open_client(real)
        programs = load_programs(real.catalog_dir)
        build_index(client, model, programs, real, progress=False)
        for path in (args.eval, args.paraphrases):
            if path.exists():
                quality(Searcher(client, model, programs, real), path)
            else:
                print(f"(no evaluation set at {path}: skipped)")
        client.close()
        latency_block("real catalog", real, model, queries, args.requests)
        if args.synthetic:
            catalog = Path(tmp) / "synthetic"
            catalog.mkdir()
            synthetic_catalog(catalog, args.synthetic)
            big = SearchSettings(catalog_dir=catalog, qdrant_path=Path(tmp) / "big", qdrant_url=None)
            latency_block(
                f"synthetic catalog of {args.synthetic}",
                big,
                model,
                queries,
                min(args.requests, 200),
                index_encoder=CloneEncoder(model),
            )


if __name__ == "__main__":
    main()

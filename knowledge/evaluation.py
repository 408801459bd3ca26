"""Search quality on a labelled query set (Success@3 and MRR), shared by the tests and bench/search.py."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.schema import Program
from knowledge.search import Mode, Searcher, SearchQuery


@dataclass(frozen=True)
class Case:
    q: str
    cats: tuple[str, ...]
    lang: str
    name_any: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scores:
    n: int
    success_at_3: float
    mrr: float
    misses: tuple[str, ...]


def read_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            cases.append(
                Case(
                    q=raw["q"],
                    cats=tuple(raw["cats"]),
                    lang=raw.get("lang", "en"),
                    name_any=tuple(raw.get("name_any") or ()),
                )
            )
    return cases


def is_good(program: Program, case: Case) -> bool:
    """An expected category, and where names are given, one of them in the program's name (either language)."""
    if not set(program.categories) & set(case.cats):
        return False
    if not case.name_any:
        return True
    names = f"{program.name.en} {program.name.es} {program.short_name.en}".lower()
    return any(n.lower() in names for n in case.name_any)


def evaluate(searcher: Searcher, cases: Iterable[Case], mode: Mode = "hybrid", k: int = 3) -> Scores:
    """The language is left to detection, as for a resident's text; depth 10 for MRR."""
    cases = list(cases)
    hits_at_k, reciprocal, misses = 0, 0.0, []
    for case in cases:
        ranked = searcher.search(SearchQuery(text=case.q, limit=10, mode=mode)).hits
        rank = next((i for i, h in enumerate(ranked, 1) if is_good(h.program, case)), None)
        if rank is not None and rank <= k:
            hits_at_k += 1
        else:
            misses.append(case.q)
        reciprocal += 1 / rank if rank else 0.0
    n = len(cases)
    return Scores(n=n, success_at_3=hits_at_k / n if n else 0.0, mrr=reciprocal / n if n else 0.0, misses=tuple(misses))

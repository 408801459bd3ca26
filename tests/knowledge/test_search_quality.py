"""Search quality with the real model and a real Qdrant local store.

Two query sets: the shared development set (beside the checkout) and the project's own paraphrase set
(bench/data/search_paraphrase.jsonl: slang, misspellings and indirect descriptions of needs, written for this
project and never used to write catalog text). Both are used only to measure.
"""

import pytest

from knowledge.evaluation import evaluate, read_cases
from tests.conftest import ROOT, eval_dir

PARAPHRASES = ROOT / "bench" / "data" / "search_paraphrase.jsonl"


@pytest.fixture(scope="module")
def dev_cases():
    path = eval_dir() / "search_dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is not beside this checkout")
    return read_cases(path)


def test_hybrid_meets_the_targets_on_the_development_set(searcher, dev_cases):
    overall = evaluate(searcher, dev_cases)
    spanish = evaluate(searcher, [c for c in dev_cases if c.lang == "es"])
    assert overall.success_at_3 >= 0.95, overall.misses
    assert spanish.success_at_3 >= 0.9, spanish.misses
    assert overall.success_at_3 >= evaluate(searcher, dev_cases, mode="bm25").success_at_3


def test_hybrid_beats_each_retriever_alone_on_paraphrases(searcher):
    cases = read_cases(PARAPHRASES)
    hybrid = evaluate(searcher, cases)
    bm25 = evaluate(searcher, cases, mode="bm25")
    dense = evaluate(searcher, cases, mode="dense")
    assert hybrid.success_at_3 >= 0.9, hybrid.misses
    assert hybrid.success_at_3 > bm25.success_at_3, (hybrid.misses, bm25.misses)
    assert hybrid.success_at_3 >= dense.success_at_3


def test_spanish_paraphrases_work_as_well_as_english(searcher):
    cases = read_cases(PARAPHRASES)
    spanish = evaluate(searcher, [c for c in cases if c.lang == "es"])
    english = evaluate(searcher, [c for c in cases if c.lang == "en"])
    assert spanish.success_at_3 >= 0.9, spanish.misses
    assert spanish.success_at_3 >= english.success_at_3 - 0.1

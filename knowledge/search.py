"""Hybrid search: dense (English text, and Spanish text for Spanish queries) and BM25 retrieval fused with
reciprocal rank fusion by Qdrant's query API, then open-now filtering and a distance-aware re-rank.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from qdrant_client import QdrantClient, models

from knowledge.geo import Place, haversine_km
from knowledge.index import DENSE_EN, DENSE_ES, SPARSE, build_index, current_state, is_fresh, open_client
from knowledge.lexicon import load_lexicon
from knowledge.schedule import is_open
from knowledge.schema import Program
from knowledge.settings import SearchSettings
from knowledge.sparse import query_vector
from knowledge.text import detect_language, stems

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Mode = Literal["hybrid", "dense", "bm25"]
MAX_QUERY_CHARS = 500
MAX_LIMIT = 20
# Programs without a usable point (phone lines, citywide services) count as this far away when ranking by distance:
# near enough to stay in a local list, never excluded.
CITYWIDE_EQUIVALENT_KM = 3.0


class IndexStale(RuntimeError):
    """The index was built from another catalog or model and rebuilding at start-up is switched off."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    limit: int = 5
    lang: str | None = None
    near: Place | None = None
    category: str | None = None
    open_now: bool = False
    language: str | None = None  # only programs known to serve in this language
    now: dt.datetime | None = None
    mode: Mode = "hybrid"


@dataclass(frozen=True)
class Hit:
    program: Program
    score: float
    distance_km: float | None
    open_now: bool | None


@dataclass(frozen=True)
class SearchOutcome:
    hits: list[Hit]
    lang: str
    # English terms a Spanish query was expanded with (empty for English queries).
    expansion: list[str] = field(default_factory=list)


def nearest_km(program: Program, place: Place) -> float | None:
    """Distance to the program's nearest public location; confidential sites are never measured."""
    distances = [
        haversine_km(place.lat, place.lon, loc.lat, loc.lon)  # type: ignore[arg-type]
        for loc in program.locations
        if loc.has_point and not loc.confidential
    ]
    return min(distances) if distances else None


class Searcher:
    def __init__(
        self, client: QdrantClient, model: SentenceTransformer, programs: Sequence[Program], settings: SearchSettings
    ) -> None:
        self.client = client
        self.model = model
        self.settings = settings
        self.programs = {p.id: p for p in sorted(programs, key=lambda p: p.id)}
        self.lexicon = load_lexicon()

    @classmethod
    def open(cls, settings: SearchSettings, programs: Sequence[Program], model: SentenceTransformer) -> Searcher:
        """Open the index, rebuilding it when stale (or refusing, if auto_index is off)."""
        client = open_client(settings)
        state = current_state(client, settings.collection)
        if not is_fresh(state, settings):
            if not settings.auto_index:
                client.close()
                found = "no index" if state is None else f"an index of another catalog or model ({state.model})"
                raise IndexStale(f"found {found} under alias {settings.collection!r}: run `make index`")
            build_index(client, model, programs, settings, progress=False)
        return cls(client, model, programs, settings)

    def close(self) -> None:
        self.client.close()

    # -- retrieval -------------------------------------------------------------------------------------------

    def _filter(self, query: SearchQuery) -> models.Filter | None:
        must: list[models.Condition] = []
        if query.category:
            must.append(models.FieldCondition(key="categories", match=models.MatchValue(value=query.category)))
        if query.language:
            must.append(models.FieldCondition(key="languages", match=models.MatchValue(value=query.language)))
        return models.Filter(must=must) if must else None

    def _candidates(self, query: SearchQuery, lang: str, expansion: list[str]) -> list[tuple[str, float]]:
        flt = self._filter(query)
        # Re-ranking by distance or dropping closed programs needs a deeper pool than the page asked for.
        depth = max(query.limit * 4, 40) if (query.near or query.open_now) else max(query.limit * 2, 20)
        english = " ".join(expansion) if expansion else query.text
        sources: list[models.Prefetch] = []
        if query.mode in ("hybrid", "dense"):
            texts = [english] if lang == "en" else [english, query.text]
            vectors = self.model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
            sources.append(models.Prefetch(query=vectors[0].tolist(), using=DENSE_EN, limit=depth, filter=flt))
            if lang == "es":
                sources.append(models.Prefetch(query=vectors[1].tolist(), using=DENSE_ES, limit=depth, filter=flt))
        if query.mode in ("hybrid", "bm25"):
            terms = stems(query.text, lang) + (stems(english, "en") if expansion else [])
            if terms:
                sources.append(models.Prefetch(query=query_vector(terms), using=SPARSE, limit=depth, filter=flt))
        if not sources:
            return []
        if len(sources) == 1:
            only = sources[0]
            response = self.client.query_points(
                self.settings.collection,
                query=only.query,
                using=only.using,
                query_filter=flt,
                limit=depth,
                with_payload=["program_id"],
            )
        else:
            response = self.client.query_points(
                self.settings.collection,
                prefetch=sources,
                query=models.RrfQuery(rrf=models.Rrf(k=self.settings.rrf_k)),
                query_filter=flt,
                limit=depth,
                with_payload=["program_id"],
            )
        return [(str(p.payload["program_id"]), float(p.score)) for p in response.points if p.payload]

    def search(self, query: SearchQuery) -> SearchOutcome:
        lang = query.lang or detect_language(query.text)
        expansion = self.lexicon.translate(query.text) if lang == "es" else []
        now = query.now or dt.datetime.now(dt.UTC)
        candidates = [
            (self.programs[pid], score)
            for pid, score in self._candidates(query, lang, expansion)
            if pid in self.programs
        ]
        if not candidates:
            return SearchOutcome(hits=[], lang=lang, expansion=expansion)
        top = max(score for _, score in candidates) or 1.0
        ranked: list[tuple[float, Hit]] = []
        for program, score in candidates:
            open_now = is_open(program.schedule, now)
            if query.open_now and open_now is not True:
                continue
            distance = nearest_km(program, query.near) if query.near else None
            final = score / top
            if query.near:
                km = distance if distance is not None else CITYWIDE_EQUIVALENT_KM
                final += self.settings.proximity_weight * math.exp(-km / self.settings.proximity_scale_km)
            hit = Hit(
                program=program,
                score=round(final, 4),
                distance_km=round(distance, 1) if distance is not None else None,
                open_now=open_now,
            )
            ranked.append((final, hit))
        ranked.sort(key=lambda pair: pair[0], reverse=True)
        return SearchOutcome(hits=[hit for _, hit in ranked[: query.limit]], lang=lang, expansion=expansion)

"""Chicago's 77 community areas as SVG paths, for a map drawn on the server (no script, nothing from elsewhere).

The boundaries are knowledge/data/geo/community_areas.geojson (simplified for about 600x700 px; see its README).
Longitude and latitude are projected equirectangularly, longitude scaled by cos(41.84°) (the city's middle
latitude), which keeps shapes true to within a fraction of a percent across a city 40 km tall. The file is read and
projected on first use and kept (about 35 KB of path data); importing this module does nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from knowledge.geo import community_areas

GEOJSON = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "geo" / "community_areas.geojson"
WIDTH, HEIGHT = 600, 700
PADDING = 8
MIDDLE_LATITUDE = 41.84


@dataclass(frozen=True)
class AreaShape:
    number: int
    name: str  # as knowledge/data/geo/community_areas.csv spells it ("Rogers Park"), what referrals store
    path: str  # an SVG path: one subpath per ring (a hole too: draw with fill-rule evenodd)


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular: x east, y north (flipped to SVG's y down by the caller)."""
    return lon * math.cos(math.radians(MIDDLE_LATITUDE)), lat


@cache
def area_shapes() -> tuple[AreaShape, ...]:
    """The 77 areas by number, their rings projected and fitted into WIDTH x HEIGHT with PADDING."""
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    rings = {
        f["properties"]["number"]: [[project(lon, lat) for lon, lat in ring] for ring in f["geometry"]["coordinates"]]
        for f in features
    }
    xs = [x for area in rings.values() for ring in area for x, _ in ring]
    ys = [y for area in rings.values() for ring in area for _, y in ring]
    scale = min((WIDTH - 2 * PADDING) / (max(xs) - min(xs)), (HEIGHT - 2 * PADDING) / (max(ys) - min(ys)))
    # Centred in the box.
    left = (WIDTH - scale * (max(xs) - min(xs))) / 2
    top = (HEIGHT - scale * (max(ys) - min(ys))) / 2
    names = community_areas()

    def point(x: float, y: float) -> str:
        return f"{left + scale * (x - min(xs)):.1f},{top + scale * (max(ys) - y):.1f}"

    def ring_path(ring: list[tuple[float, float]]) -> str:
        # GeoJSON rings repeat their first point at the end; Z closes the ring instead.
        points = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
        return "M" + point(*points[0]) + "L" + " ".join(point(*p) for p in points[1:]) + "Z"

    return tuple(
        AreaShape(number=n, name=names[n].name, path="".join(ring_path(r) for r in rings[n])) for n in sorted(rings)
    )

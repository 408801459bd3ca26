"""Places in Chicago: a ZIP code, a community area name or alias, or "lat,lon" -> a point.

The data are the City's 77 community areas (centroids from the boundary polygons) and the residential ZIP codes
(Census interior points), shipped in ``knowledge/data/geo/``.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GEO_DIR = Path(__file__).parent / "data" / "geo"

# Chicago's street grid: State & Madison is 0/0 and 800 address numbers make a mile in both directions.
GRID_ORIGIN = (41.88207, -87.62780)
MILES_PER_GRID_UNIT = 1 / 800
LAT_PER_MILE = 1 / 69.05
LON_PER_MILE = 1 / 51.42  # at Chicago's latitude

# Points farther than this from every community-area centroid are not in Chicago for our purposes.
CITY_RADIUS_KM = 6.5


class UnknownPlace(ValueError):
    """The text names no place we know; the message is safe to show to a resident."""


@dataclass(frozen=True)
class CommunityArea:
    number: int
    name: str
    aliases: tuple[str, ...]
    lat: float
    lon: float
    side: str


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str
    kind: str  # "zip", "community_area" or "point"
    community_area: int | None = None


def fold(text: str) -> str:
    """Lowercase, strip accents and punctuation: "K-Town" == "ktown", "Pilsén" == "pilsen"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "", text)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# Downtown blocks are longer than the 800-to-a-mile rule south of Madison, so north-south numbers are mapped
# through measured street latitudes (Madison, Roosevelt, Cermak, 31st, 63rd, 95th, 127th) and interpolated.
_NS_ANCHORS = (
    (0, 41.88207),
    (-1200, 41.86750),
    (-2200, 41.85290),
    (-3100, 41.83850),
    (-6300, 41.77970),
    (-9500, 41.72180),
    (-12700, 41.66310),
)


def _grid_lat(north_south: int) -> float:
    if north_south >= 0:
        return GRID_ORIGIN[0] + north_south * MILES_PER_GRID_UNIT * LAT_PER_MILE
    for (n1, lat1), (n2, lat2) in itertools.pairwise(_NS_ANCHORS):
        if n2 <= north_south <= n1:
            return lat1 + (lat2 - lat1) * (north_south - n1) / (n2 - n1)
    n_last, lat_last = _NS_ANCHORS[-1]
    return lat_last + (north_south - n_last) * MILES_PER_GRID_UNIT * LAT_PER_MILE


def grid_point(east_west: int, north_south: int) -> tuple[float, float]:
    """Chicago grid address numbers (west and south negative) -> approximate (lat, lon), within ~150 m."""
    lon = GRID_ORIGIN[1] + east_west * MILES_PER_GRID_UNIT * LON_PER_MILE
    return round(_grid_lat(north_south), 5), round(lon, 5)


@cache
def community_areas() -> dict[int, CommunityArea]:
    with (GEO_DIR / "community_areas.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {
        int(r["number"]): CommunityArea(
            number=int(r["number"]),
            name=r["name"],
            aliases=tuple(a for a in r["aliases"].split("|") if a),
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            side=r["side"],
        )
        for r in rows
    }


@cache
def zip_codes() -> dict[str, tuple[float, float, tuple[int, ...]]]:
    with (GEO_DIR / "zip_codes.csv").open(encoding="utf-8") as fh:
        return {
            r["zip"]: (float(r["lat"]), float(r["lon"]), tuple(int(a) for a in r["community_areas"].split("|") if a))
            for r in csv.DictReader(fh)
        }


@cache
def _names() -> dict[str, int]:
    """Folded official names first, then aliases; an alias never overrides an official name."""
    names: dict[str, int] = {}
    areas = community_areas()
    for area in areas.values():
        names[fold(area.name)] = area.number
    for area in areas.values():
        for alias in area.aliases:
            names.setdefault(fold(alias), area.number)
    return names


def area_by_name(text: str) -> CommunityArea | None:
    key = fold(text)
    if key.startswith("the") and key[3:] in _names():
        key = key[3:]
    number = _names().get(key)
    return community_areas()[number] if number else None


def nearest_area(lat: float, lon: float) -> tuple[CommunityArea, float]:
    """The community area whose centroid is nearest, with the distance in km (a rough area lookup)."""
    best = min(community_areas().values(), key=lambda a: haversine_km(lat, lon, a.lat, a.lon))
    return best, haversine_km(lat, lon, best.lat, best.lon)


_LATLON_RE = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_ZIP_RE = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")


def resolve(text: str) -> Place:
    """Turn what a resident typed into a point, or raise UnknownPlace with a message they can act on."""
    if not text or not text.strip():
        raise UnknownPlace("Give a Chicago ZIP code, a neighborhood or 'lat,lon'.")
    if m := _ZIP_RE.match(text):
        code = m.group(1)
        if code not in zip_codes():
            raise UnknownPlace(f"{code} is not a Chicago residential ZIP code.")
        lat, lon, areas = zip_codes()[code]
        return Place(lat, lon, code, "zip", areas[0] if areas else None)
    if m := _LATLON_RE.match(text):
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UnknownPlace("Coordinates must be 'lat,lon' with latitude first.")
        area, dist = nearest_area(lat, lon)
        if dist > CITY_RADIUS_KM:
            raise UnknownPlace("That point is not in Chicago.")
        return Place(lat, lon, f"{lat:.4f},{lon:.4f}", "point", area.number)
    area = area_by_name(text)
    if area is None:
        # Echo only what a phone can show, and little of it: repr would spell out control characters and unassigned
        # code points as \U0001018f, and the reply has to fit an SMS.
        shown = "".join(ch for ch in text.strip() if ch.isprintable())[:40]
        raise UnknownPlace(f"We don't know the place {shown!r}: try a ZIP code or a community area.")
    return Place(area.lat, area.lon, area.name, "community_area", area.number)

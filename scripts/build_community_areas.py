"""Write knowledge/data/geo/community_areas.geojson: Chicago's 77 community areas, simplified for an inline SVG map.

.venv/bin/python scripts/build_community_areas.py SOURCE OUT [--tolerance METRES] [--digits N] [--raster WxH]

SOURCE is the City of Chicago's "Boundaries - Community Areas" layer, as any of:
  - a shapefile (.shp with its .dbf beside it), in NAD83 / Illinois East (ftUS, EPSG:3435) as the City publishes
    it, or already in longitude/latitude;
  - a .whl or .zip holding such a shapefile, e.g. the libpysal wheel (libpysal/examples/chicago/Chicago77.shp);
  - a GeoJSON FeatureCollection in WGS84 with the City's properties (area_numbe, community).
knowledge/data/geo/README.md says where the copy used came from.

The script uses the standard library only. It
  1. reads the 77 areas and projects Illinois East feet to WGS84 longitude/latitude (inverse transverse Mercator on
     GRS80; NAD83 and WGS84 differ by about a metre here, far below a pixel);
  2. cuts every ring into arcs at the points where neighbouring areas meet, so a border shared by two areas is one
     arc, simplifies each arc once (Douglas-Peucker, tolerance in metres; an arc that then crosses another or
     collapses a ring is simplified again with half the tolerance) and puts the same simplified arc back into both
     areas: shared borders stay identical and the map has no gaps or overlaps between areas;
  3. rounds to --digits decimals (5 is about a metre), orients rings as RFC 7946 asks (exterior counter-clockwise);
  4. checks the result and exits 1 if a check fails: 77 areas numbered 1-77, each name the CSV's
     (knowledge/data/geo/community_areas.csv) upper-cased, each CSV centroid inside its area (or within 100 m),
     each area within 1% of its unsimplified area, every ring valid, no crossing segments; with --raster it also
     draws the map at that size and counts pixels that the source covers and no simplified area does (gaps) or
     that two areas cover.
The output has one feature per area, properties {"number": int, "name": "UPPER CASE NAME"}, sorted by number.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import math
import re
import struct
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "knowledge" / "data" / "geo" / "community_areas.csv"

Point = tuple[float, float]
Ring = list[Point]  # open: the first point is not repeated at the end
Polygon = list[Ring]  # exterior first, then holes

# Metres per degree near Chicago's centre (41.84 N), for distances and areas in longitude/latitude.
LAT0 = 41.84
M_PER_DEG_LAT = 111_070.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))


@dataclass
class Area:
    number: int
    name: str  # as the source spells it
    polygons: list[Polygon]


# --- NAD83 / Illinois East (ftUS), EPSG:3435 -> longitude/latitude --------------------------------------------------

_A = 6_378_137.0  # GRS80
_F = 1 / 298.257222101
_E2 = _F * (2 - _F)
_EP2 = _E2 / (1 - _E2)
_K0 = 0.999975
_LAT_ORIGIN = math.radians(36 + 2 / 3)
_LON_ORIGIN = math.radians(-(88 + 1 / 3))
_FALSE_EASTING_M = 300_000.0
_US_FOOT_M = 1200 / 3937


def _meridian_arc(phi: float) -> float:
    e2, e4, e6 = _E2, _E2**2, _E2**3
    return _A * (
        (1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi
        - (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * math.sin(2 * phi)
        + (15 * e4 / 256 + 45 * e6 / 1024) * math.sin(4 * phi)
        - (35 * e6 / 3072) * math.sin(6 * phi)
    )


_M0 = _meridian_arc(_LAT_ORIGIN)


def illinois_east_to_lonlat(x_ft: float, y_ft: float) -> Point:
    """Inverse transverse Mercator (Snyder, USGS Professional Paper 1395, 8-18 to 8-25)."""
    x = x_ft * _US_FOOT_M - _FALSE_EASTING_M
    y = y_ft * _US_FOOT_M
    mu = (_M0 + y / _K0) / (_A * (1 - _E2 / 4 - 3 * _E2**2 / 64 - 5 * _E2**3 / 256))
    e1 = (1 - math.sqrt(1 - _E2)) / (1 + math.sqrt(1 - _E2))
    phi1 = (
        mu
        + (3 * e1 / 2 - 27 * e1**3 / 32) * math.sin(2 * mu)
        + (21 * e1**2 / 16 - 55 * e1**4 / 32) * math.sin(4 * mu)
        + (151 * e1**3 / 96) * math.sin(6 * mu)
        + (1097 * e1**4 / 512) * math.sin(8 * mu)
    )
    sin1, cos1, tan1 = math.sin(phi1), math.cos(phi1), math.tan(phi1)
    c1 = _EP2 * cos1**2
    t1 = tan1**2
    n1 = _A / math.sqrt(1 - _E2 * sin1**2)
    r1 = _A * (1 - _E2) / (1 - _E2 * sin1**2) ** 1.5
    d = x / (n1 * _K0)
    phi = phi1 - (n1 * tan1 / r1) * (
        d**2 / 2
        - (5 + 3 * t1 + 10 * c1 - 4 * c1**2 - 9 * _EP2) * d**4 / 24
        + (61 + 90 * t1 + 298 * c1 + 45 * t1**2 - 252 * _EP2 - 3 * c1**2) * d**6 / 720
    )
    lam = (
        _LON_ORIGIN
        + (d - (1 + 2 * t1 + c1) * d**3 / 6 + (5 - 2 * c1 + 28 * t1 - 3 * c1**2 + 8 * _EP2 + 24 * t1**2) * d**5 / 120)
        / cos1
    )
    return math.degrees(lam), math.degrees(phi)


# --- reading ------------------------------------------------------------------------------------------------------


def _open_ring(coords: Iterable[Sequence[float]]) -> Ring:
    ring = [(float(c[0]), float(c[1])) for c in coords]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def signed_area(ring: Ring) -> float:
    """Shoelace area in the ring's own units: positive when counter-clockwise (y up)."""
    total = 0.0
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        total += x1 * y2 - x2 * y1
    return total / 2


def point_in_ring(p: Point, ring: Ring) -> bool:
    x, y = p
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _read_dbf(data: bytes) -> list[dict[str, str]]:
    count, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields: list[tuple[str, int]] = []
    for off in range(32, header_len - 1, 32):
        name = data[off : off + 11].split(b"\0")[0].decode("ascii")
        fields.append((name.lower(), data[off + 16]))
    rows = []
    for r in range(count):
        rec = data[header_len + r * record_len : header_len + (r + 1) * record_len]
        if rec[:1] == b"*":  # deleted
            continue
        pos = 1
        row = {}
        for name, length in fields:
            row[name] = rec[pos : pos + length].decode("latin-1").strip()
            pos += length
        rows.append(row)
    return rows


def _read_shp(data: bytes) -> list[list[Ring]]:
    """The rings of every polygon record (shape type 5), in file order."""
    (file_words,) = struct.unpack(">i", data[24:28])
    end = file_words * 2
    pos = 100
    shapes: list[list[Ring]] = []
    while pos < end:
        _, words = struct.unpack(">ii", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + words * 2]
        pos += 8 + words * 2
        (shape_type,) = struct.unpack("<i", body[:4])
        if shape_type == 0:
            shapes.append([])
            continue
        if shape_type != 5:
            raise SystemExit(f"shape type {shape_type} is not a polygon")
        n_parts, n_points = struct.unpack("<ii", body[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", body[44 : 44 + 4 * n_parts]))
        start = 44 + 4 * n_parts
        xy = struct.unpack(f"<{2 * n_points}d", body[start : start + 16 * n_points])
        points = [(xy[2 * i], xy[2 * i + 1]) for i in range(n_points)]
        bounds = [*parts, n_points]
        shapes.append([_open_ring(points[bounds[i] : bounds[i + 1]]) for i in range(n_parts)])
    return shapes


def _group_rings(rings: list[Ring]) -> list[Polygon]:
    """Shapefile rings into polygons: exteriors are clockwise, holes counter-clockwise and inside an exterior."""
    polygons: list[Polygon] = [[r] for r in rings if signed_area(r) < 0]
    for hole in (r for r in rings if signed_area(r) >= 0):
        owner = next((p for p in polygons if point_in_ring(hole[0], p[0])), None)
        if owner is None:  # a counter-clockwise ring inside nothing: take it as an exterior
            polygons.append([hole])
        else:
            owner.append(hole)
    return polygons


def _number_and_name(props: dict[str, object]) -> tuple[int, str]:
    low = {k.lower(): v for k, v in props.items()}
    number = next(low[k] for k in ("area_numbe", "area_num_1", "number") if low.get(k) not in (None, ""))
    name = next(low[k] for k in ("community", "name") if low.get(k))
    return int(float(str(number))), str(name)


def _areas_from_shapefile(shp: bytes, dbf: bytes) -> list[Area]:
    shapes = _read_shp(shp)
    rows = _read_dbf(dbf)
    if len(shapes) != len(rows):
        raise SystemExit(f"{len(shapes)} shapes but {len(rows)} attribute rows")
    projected = any(abs(x) > 360 for rings in shapes for ring in rings for x, _ in ring[:1])
    areas = []
    for rings, row in zip(shapes, rows, strict=True):
        if projected:
            rings = [[illinois_east_to_lonlat(x, y) for x, y in ring] for ring in rings]
        number, name = _number_and_name(dict(row))
        areas.append(Area(number, name, _group_rings(rings)))
    return areas


def _areas_from_geojson(doc: dict[str, object]) -> list[Area]:
    areas = []
    features = doc["features"]
    assert isinstance(features, list)
    for feature in features:
        geometry = feature["geometry"]
        coords = geometry["coordinates"]
        polys = [coords] if geometry["type"] == "Polygon" else coords
        polygons = [[_open_ring(r) for r in poly] for poly in polys]
        number, name = _number_and_name(feature["properties"])
        areas.append(Area(number, name, polygons))
    return areas


def read_areas(source: Path) -> list[Area]:
    suffix = source.suffix.lower()
    if suffix in {".whl", ".zip"}:
        with zipfile.ZipFile(source) as z:
            shps = [n for n in z.namelist() if n.lower().endswith(".shp")]
            chosen = [n for n in shps if "chicago" in n.lower()] or shps
            if len(chosen) != 1:
                raise SystemExit(f"{source}: expected one Chicago shapefile, found {chosen or 'none'}")
            stem = chosen[0][:-4]
            return _areas_from_shapefile(z.read(chosen[0]), z.read(stem + ".dbf"))
    if suffix == ".shp":
        return _areas_from_shapefile(source.read_bytes(), source.with_suffix(".dbf").read_bytes())
    text = source.read_text(encoding="utf-8")
    return _areas_from_geojson(json.load(io.StringIO(text[text.index("{") :])))


# --- topology-preserving simplification -----------------------------------------------------------------------------


def _metres(p: Point) -> Point:
    return p[0] * M_PER_DEG_LON, p[1] * M_PER_DEG_LAT


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = _metres(p), _metres(a), _metres(b)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(arc: list[Point], tolerance: float) -> list[Point]:
    """Keep both ends and every point needed to stay within tolerance metres of the original line."""
    if len(arc) <= 2:
        return list(arc)
    keep = [False] * len(arc)
    keep[0] = keep[-1] = True
    stack = [(0, len(arc) - 1)]
    while stack:
        first, last = stack.pop()
        worst, worst_i = -1.0, -1
        for i in range(first + 1, last):
            d = _segment_distance(arc[i], arc[first], arc[last])
            if d > worst:
                worst, worst_i = d, i
        if worst_i > 0 and worst > tolerance:
            keep[worst_i] = True
            stack.append((first, worst_i))
            stack.append((worst_i, last))
    return [p for p, k in zip(arc, keep, strict=True) if k]


def find_junctions(rings: Iterable[Ring]) -> set[Point]:
    """Points where rings meet with different neighbours: where a shared border starts, ends or branches."""
    seen: dict[Point, frozenset[Point]] = {}
    junctions: set[Point] = set()
    for ring in rings:
        n = len(ring)
        for i, p in enumerate(ring):
            pair = frozenset((ring[i - 1], ring[(i + 1) % n]))
            first = seen.setdefault(p, pair)
            if first != pair:
                junctions.add(p)
    return junctions


@dataclass
class Topology:
    """Every ring as a chain of arcs; a border shared by two areas is one arc, walked forwards by one of them."""

    arcs: list[list[Point]]
    rings: list[list[tuple[int, bool]]]  # per ring: (arc index, walked backwards)
    junctions: set[Point]


def build_topology(rings: list[Ring]) -> Topology:
    junctions = find_junctions(rings)
    index: dict[tuple[Point, ...], int] = {}
    topo = Topology([], [], junctions)
    for ring in rings:
        cuts = [i for i, p in enumerate(ring) if p in junctions]
        if not cuts:
            # A ring that meets no other ring, or meets one along its whole length: cut it at its lowest and
            # highest points, which both copies of the ring agree on whatever their start and direction.
            cuts = sorted({ring.index(min(ring)), ring.index(max(ring))})
        rotated = ring[cuts[0] :] + ring[: cuts[0] + 1]
        bounds = [c - cuts[0] for c in cuts] + [len(ring)]
        refs = []
        for a, b in itertools.pairwise(bounds):
            arc = tuple(rotated[a : b + 1])
            if arc in index:
                refs.append((index[arc], False))
            elif arc[::-1] in index:
                refs.append((index[arc[::-1]], True))
            else:
                index[arc] = len(topo.arcs)
                topo.arcs.append(list(arc))
                refs.append((index[arc], False))
        topo.rings.append(refs)
    return topo


def _orientation(p: Point, q: Point, r: Point) -> int:
    v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    return (v > 0) - (v < 0)


def crossing_arcs(arcs: list[list[Point]]) -> set[int]:
    """Arcs with a segment that crosses another segment (of any arc, itself included) at other than an end."""
    segments = sorted(
        ((min(a, b), max(a, b), i) for i, arc in enumerate(arcs) for a, b in itertools.pairwise(arc) if a != b),
        key=lambda s: s[0][0],
    )
    bad: set[int] = set()
    for k, (a, b, i) in enumerate(segments):
        low, high = min(a[1], b[1]), max(a[1], b[1])
        for c, d, j in segments[k + 1 :]:
            if c[0] > b[0]:
                break
            if max(c[1], d[1]) < low or min(c[1], d[1]) > high or len({a, b, c, d}) < 4:
                continue
            o1, o2, o3, o4 = _orientation(a, b, c), _orientation(a, b, d), _orientation(c, d, a), _orientation(c, d, b)
            collinear_overlap = o1 == o2 == o3 == o4 == 0 and not (c >= b or d <= a)
            if (o1 * o2 < 0 and o3 * o4 < 0) or collinear_overlap:
                bad |= {i, j}
    return bad


def _ring_area_m2(ring: Ring) -> float:
    return abs(signed_area([_metres(p) for p in ring]))


def _rounded(points: Iterable[Point], digits: int) -> list[Point]:
    out: list[Point] = []
    for x, y in points:
        p = (round(x, digits), round(y, digits))
        if not out or out[-1] != p:
            out.append(p)
    return out


def _assemble(refs: list[tuple[int, bool]], arcs: list[list[Point]]) -> Ring:
    ring: Ring = []
    for i, backwards in refs:
        arc = arcs[i][::-1] if backwards else arcs[i]
        ring.extend(p for p in arc[:-1] if not ring or ring[-1] != p)
    while len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


@dataclass
class Simplified:
    areas: list[Area]
    topology: Topology
    retried: int  # arcs simplified again, with a smaller tolerance, to undo a crossing or a collapsed ring
    unfixed: int  # arcs that cross another (or collapse a ring) even unsimplified: none in the City's file


def simplify_areas(areas: list[Area], tolerance: float, digits: int) -> Simplified:
    """Douglas-Peucker on each arc once; an arc that then crosses another, or collapses a ring, is simplified again
    with half the tolerance, down to none."""
    rings = [r for a in areas for poly in a.polygons for r in poly]
    topo = build_topology(rings)
    tolerances = [tolerance] * len(topo.arcs)
    retried: set[int] = set()
    while True:
        arcs = [
            _rounded(douglas_peucker(arc, t) if t else arc, digits)
            for arc, t in zip(topo.arcs, tolerances, strict=True)
        ]
        new_rings = [_assemble(refs, arcs) for refs in topo.rings]
        bad = crossing_arcs(arcs)
        for refs, new, old in zip(topo.rings, new_rings, rings, strict=True):
            if len(new) < 3 or _ring_area_m2(new) < 0.5 * _ring_area_m2(old):
                bad |= {i for i, _ in refs}
        fixable = {i for i in bad if tolerances[i]}
        if not fixable:
            break
        for i in fixable:
            tolerances[i] = tolerances[i] / 2 if tolerances[i] > 0.5 else 0.0
        retried |= fixable
    result = []
    it = iter(new_rings)
    for area in areas:
        polygons: list[Polygon] = []
        for poly in area.polygons:
            new_poly: Polygon = []
            for k in range(len(poly)):
                ring = next(it)
                # RFC 7946: exterior rings counter-clockwise, holes clockwise.
                if (signed_area(ring) > 0) != (k == 0):
                    ring = ring[::-1]
                new_poly.append(ring)
            polygons.append(new_poly)
        result.append(Area(area.number, area.name, polygons))
    return Simplified(result, topo, len(retried), len(bad))


# --- checks -------------------------------------------------------------------------------------------------------


def _key(name: str) -> str:
    return re.sub(r"[^A-Z]", "", name.upper())


def read_csv(path: Path) -> dict[int, tuple[str, Point]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {int(r["number"]): (r["name"], (float(r["lon"]), float(r["lat"]))) for r in csv.DictReader(f)}


def in_area(p: Point, area: Area) -> bool:
    return any(point_in_ring(p, poly[0]) and not any(point_in_ring(p, h) for h in poly[1:]) for poly in area.polygons)


def distance_to_area(p: Point, area: Area) -> float:
    if in_area(p, area):
        return 0.0
    return min(
        _segment_distance(p, ring[i - 1], ring[i]) for poly in area.polygons for ring in poly for i in range(len(ring))
    )


def area_m2(area: Area) -> float:
    return sum(_ring_area_m2(poly[0]) - sum(_ring_area_m2(h) for h in poly[1:]) for poly in area.polygons)


def check(original: list[Area], simplified: list[Area], expected: dict[int, tuple[str, Point]]) -> list[str]:
    problems = []
    numbers = sorted(a.number for a in simplified)
    if numbers != list(range(1, 78)):
        problems.append(f"numbers are not 1-77: {numbers}")
    by_number = {a.number: a for a in simplified}
    source = {a.number: a for a in original}
    worst_centroid, worst_ratio = (0.0, 0), (1.0, 0)
    for number, (name, centroid) in sorted(expected.items()):
        area = by_number.get(number)
        if area is None:
            problems.append(f"{number} {name}: missing")
            continue
        if _key(area.name) != _key(name):
            problems.append(f"{number}: source calls it {area.name!r}, the CSV {name!r}")
        d = distance_to_area(centroid, area)
        worst_centroid = max(worst_centroid, (d, number))
        if d > 100:
            problems.append(f"{number} {name}: the CSV centroid is {d:.0f} m outside the area")
        ratio = area_m2(area) / area_m2(source[number])
        if abs(ratio - 1) > abs(worst_ratio[0] - 1):
            worst_ratio = (ratio, number)
        if abs(ratio - 1) > 0.01:
            problems.append(f"{number} {name}: simplified area is {ratio:.4f} of the source's")
        for poly in area.polygons:
            for ring in poly:
                if len(ring) < 3 or _ring_area_m2(ring) == 0:
                    problems.append(f"{number} {name}: degenerate ring")
    inside = sum(in_area(c, by_number[n]) for n, (_, c) in expected.items() if n in by_number)
    print(
        f"centroids inside their area: {inside}/{len(expected)}; "
        f"farthest outside: {worst_centroid[0]:.0f} m (#{worst_centroid[1]})"
    )
    print(f"simplified/source area: worst {worst_ratio[0]:.4f} (#{worst_ratio[1]})")
    return problems


def _coverage(areas: list[Area], box: tuple[float, float, float, float], width: int, height: int) -> bytearray:
    """How many areas cover each pixel's centre (even-odd fill, rows from the top), capped at 255."""
    minx, miny, maxx, maxy = box
    sx, sy = (maxx - minx) / width, (maxy - miny) / height
    counts = bytearray(width * height)
    for area in areas:
        edges = [(ring[i - 1], ring[i]) for poly in area.polygons for ring in poly for i in range(len(ring))]
        lo = min(min(a[1], b[1]) for a, b in edges)
        hi = max(max(a[1], b[1]) for a, b in edges)
        for row in range(height):
            y = maxy - (row + 0.5) * sy
            if y < lo or y > hi:
                continue
            xs = sorted(x1 + (y - y1) * (x2 - x1) / (y2 - y1) for (x1, y1), (x2, y2) in edges if (y1 > y) != (y2 > y))
            for xa, xb in zip(xs[::2], xs[1::2], strict=True):
                first = max(0, math.ceil((xa - minx) / sx - 0.5))
                last = min(width, math.ceil((xb - minx) / sx - 0.5))
                for col in range(first, last):
                    i = row * width + col
                    counts[i] = min(255, counts[i] + 1)
    return counts


def _inner_gaps(before: bytearray, after: bytearray, width: int, height: int) -> int:
    """Pixels the source covers that no simplified area covers, away from the source's edge.

    A pixel next to one the source leaves empty (the lake, the suburbs, the enclaves of Norridge and Harwood
    Heights) is on the city's edge, which simplification may move by its tolerance; any other is a gap between areas.
    """
    gaps = 0
    for row in range(1, height - 1):
        for col in range(1, width - 1):
            i = row * width + col
            if before[i] and not after[i]:
                near_edge = any(not before[(row + dr) * width + col + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1))
                gaps += not near_edge
    return gaps


def raster_check(original: list[Area], simplified: list[Area], width: int, height: int) -> list[str]:
    """Draw both at width x height (equirectangular, as the SVG will) and count gaps between areas and overlaps.

    Pixels along the city's outer edge that simplification moves in or out are reported, not counted as gaps.
    """
    xs = [p[0] for a in original for poly in a.polygons for r in poly for p in r]
    ys = [p[1] for a in original for poly in a.polygons for r in poly for p in r]
    minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
    # One scale for both axes in metres, so the box keeps the map's shape; centre it in the picture.
    scale = max((maxx - minx) * M_PER_DEG_LON / width, (maxy - miny) * M_PER_DEG_LAT / height)
    half_w, half_h = width * scale / M_PER_DEG_LON / 2, height * scale / M_PER_DEG_LAT / 2
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    before = _coverage(original, box, width, height)
    after = _coverage(simplified, box, width, height)
    gaps = _inner_gaps(before, after, width, height)
    overlaps, source_overlaps = sum(1 for a in after if a > 1), sum(1 for b in before if b > 1)
    lost = sum(1 for b, a in zip(before, after, strict=True) if b and not a)
    gained = sum(1 for b, a in zip(before, after, strict=True) if a and not b)
    print(
        f"raster {width}x{height} ({scale:.0f} m a pixel): {sum(1 for b in before if b)} pixels covered by the source; "
        f"{gaps} gap pixels between areas, {overlaps} pixels covered twice "
        f"(source: {source_overlaps}); along the city's edge {lost} pixels lost and {gained} gained"
    )
    problems = []
    if gaps:
        problems.append(f"{gaps} pixels inside the city are covered by no simplified area")
    if overlaps > source_overlaps:
        problems.append(f"{overlaps} pixels are covered by two simplified areas (source: {source_overlaps})")
    return problems


# --- writing ------------------------------------------------------------------------------------------------------


def to_geojson(areas: list[Area], names: dict[int, str]) -> str:
    lines = []
    for area in sorted(areas, key=lambda a: a.number):
        closed = [[[*r, r[0]] for r in poly] for poly in area.polygons]
        geometry = (
            {"type": "Polygon", "coordinates": closed[0]}
            if len(closed) == 1
            else {"type": "MultiPolygon", "coordinates": closed}
        )
        feature = {
            "type": "Feature",
            "properties": {"number": area.number, "name": names[area.number].upper()},
            "geometry": geometry,
        }
        lines.append(json.dumps(feature, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--csv", type=Path, default=CSV_PATH, help="numbers, names and centroids to check against")
    parser.add_argument("--tolerance", type=float, default=10.0, help="Douglas-Peucker tolerance in metres")
    parser.add_argument("--digits", type=int, default=5, help="decimals kept in longitude and latitude")
    parser.add_argument("--raster", default="", help="also check for gaps at this map size, e.g. 600x700")
    args = parser.parse_args(argv)

    original = read_areas(args.source)
    expected = read_csv(args.csv)
    points = sum(len(r) for a in original for poly in a.polygons for r in poly)
    print(f"{args.source}: {len(original)} areas, {points} points")
    result = simplify_areas(original, args.tolerance, args.digits)
    simplified, topo = result.areas, result.topology
    kept = sum(len(r) for a in simplified for poly in a.polygons for r in poly)
    uses: dict[int, int] = {}
    for refs in topo.rings:
        for i, _ in refs:
            uses[i] = uses.get(i, 0) + 1
    print(
        f"tolerance {args.tolerance} m: {kept} points kept; {len(topo.junctions)} junctions, {len(topo.arcs)} arcs, "
        f"{sum(1 for n in uses.values() if n == 2)} of them shared by two rings; "
        f"{result.retried} simplified again to undo a crossing or a collapse"
    )
    problems = check(original, simplified, expected)
    if result.unfixed:
        problems.append(f"{result.unfixed} arcs cross another even unsimplified: try more --digits")
    if args.raster:
        width, height = (int(v) for v in args.raster.lower().split("x"))
        problems += raster_check(original, simplified, width, height)
    if problems:
        print("\n".join(["FAILED:", *problems]), file=sys.stderr)
        return 1
    text = to_geojson(simplified, {n: name for n, (name, _) in expected.items()})
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

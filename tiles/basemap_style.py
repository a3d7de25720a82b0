"""The basemap's part of our MapLibre style: streets, alleys, water, walls, gates and names,
drawn under the product's layers from the `basemap` source (/tiles/basemap.json).

Widths are in ground metres where they are known (an alley's width_m; otherwise by rank), turned
into pixels per zoom: a 3 m alley and a 16 m main road keep their proportions as one zooms in.
Labels use the same fonts as the rest of the style (tiles/style.py: our own glyph PBFs,
tiles/glyphs.py).
"""

from __future__ import annotations

ROAD, ROAD_CASING, MAJOR, MAJOR_CASING = "#ffffff", "#c9c2b4", "#f7d774", "#d0a93c"
WATER, WATER_LINE = "#8fbfe6", "#6fa8dc"
WALL, GATE = "#7a6352", "#b5651d"
LANDUSE = {"residential": "#ebe6dc", "commercial": "#efe0e0", "retail": "#efe0e0", "industrial": "#e3dfe8",
           "grass": "#d6ebc8", "forest": "#c2dfb0", "farmland": "#e9f0cf", "cemetery": "#d4e2cd"}

# Metres per pixel at zoom z ≈ 156543 · cos(lat) / 2^z (256-px units); at the latitudes served
# (≈ 22–30° N) cos(lat) ≈ 0.9, so pixels = metres · 2^z / 141,000.
_PX_PER_M = {z: 2**z / 141_000 for z in (12, 22)}
WIDTH_M = ["coalesce", ["get", "width"], ["match", ["get", "rank"], 1, 18, 2, 12, 3, 7, 4, 3, 2]]


def _metres(expr, minimum: float) -> list:
    """A line width in pixels for `expr` metres, never thinner than `minimum` pixels."""
    return ["interpolate", ["exponential", 2], ["zoom"],
            12, ["max", minimum, ["*", expr, _PX_PER_M[12]]],
            22, ["max", minimum, ["*", expr, _PX_PER_M[22]]]]


def _label(expr_font, font: list[str], size, color: str, **layout) -> dict:
    return {"layout": {"text-field": expr_font, "text-font": font, "text-size": size, **layout},
            "paint": {"text-color": color, "text-halo-color": "#ffffff", "text-halo-width": 1.4}}


def under_layers() -> list[dict]:
    """Drawn first: ground, water, landuse."""
    src = {"source": "basemap"}
    return [
        {"id": "bm-landuse", "type": "fill", **src, "source-layer": "landuse",
         "paint": {"fill-color": ["match", ["get", "kind"], *sum(([k, v] for k, v in LANDUSE.items()), []), "#ebe6dc"],
                   "fill-opacity": 0.7}},
        {"id": "bm-water", "type": "fill", **src, "source-layer": "water", "paint": {"fill-color": WATER}},
        {"id": "bm-waterways", "type": "line", **src, "source-layer": "waterways",
         "layout": {"line-cap": "round", "line-join": "round"},
         "paint": {"line-color": WATER, "line-width": _metres(
             ["match", ["get", "kind"], "river", 24, "canal", 12, 4], 1.5)}},
    ]


def over_layers(font: list[str]) -> list[dict]:
    """Drawn over the grid fills and under the buildings: streets, walls, gates."""
    src = {"source": "basemap", "source-layer": "roads"}
    major = ["<=", ["get", "rank"], 2]
    path = ["==", ["get", "rank"], 5]
    return [
        {"id": "bm-roads-casing", "type": "line", **src, "filter": ["!", path],
         "layout": {"line-cap": "round", "line-join": "round"},
         "paint": {"line-color": ["case", major, MAJOR_CASING, ROAD_CASING], "line-width": _metres(["+", WIDTH_M, 1.5], 1.8)}},
        {"id": "bm-roads", "type": "line", **src, "filter": ["!", path],
         "layout": {"line-cap": "round", "line-join": "round"},
         "paint": {"line-color": ["case", major, MAJOR, ROAD], "line-width": _metres(WIDTH_M, 1)}},
        {"id": "bm-paths", "type": "line", **src, "filter": path,
         "paint": {"line-color": "#a89f91", "line-width": 1.2, "line-dasharray": [2, 1.5]}},
        {"id": "bm-barriers", "type": "line", "source": "basemap", "source-layer": "barriers",
         "paint": {"line-color": WALL, "line-width": ["interpolate", ["linear"], ["zoom"], 15, 1, 19, 3],
                   "line-dasharray": ["match", ["get", "kind"], "fence", ["literal", [2, 1]], ["literal", [1, 0]]]}},
        {"id": "bm-gates", "type": "circle", "source": "basemap", "source-layer": "gates",
         "paint": {"circle-color": ["case", ["get", "main"], GATE, "#d9a066"],
                   "circle-radius": ["interpolate", ["linear"], ["zoom"], 15, 2.5, 19, 6],
                   "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}},
    ]


def label_layers(font: list[str]) -> list[dict]:
    """On top of everything: street, water and place names, POIs."""
    src = {"source": "basemap"}
    return [
        {"id": "bm-waterway-names", "type": "symbol", **src, "source-layer": "waterways", "minzoom": 13,
         **_label(["get", "name"], font, 13, "#2f6ea3", **{"symbol-placement": "line", "text-letter-spacing": 0.3})},
        {"id": "bm-road-names", "type": "symbol", **src, "source-layer": "roads", "minzoom": 14,
         "filter": ["!=", ["get", "name"], ""],
         **_label(["get", "name"], font, ["interpolate", ["linear"], ["zoom"], 14, 11, 18, 15], "#4a4135",
                  **{"symbol-placement": "line", "text-max-angle": 30})},
        {"id": "bm-pois", "type": "symbol", **src, "source-layer": "pois", "minzoom": 15,
         "filter": ["!=", ["get", "name"], ""],
         **_label(["get", "name"], font, 12, "#6b4f2a")},
        {"id": "bm-places", "type": "symbol", **src, "source-layer": "places",
         **_label(["get", "name"], font, ["interpolate", ["linear"], ["zoom"], 10, 12, 16, 18], "#3d3d3d",
                  **{"text-letter-spacing": 0.2})},
    ]

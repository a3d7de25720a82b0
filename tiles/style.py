"""The MapLibre style served at /tiles/style.json: works with no internet.

Glyphs: the views add `glyphs` = our own /tiles/glyphs/{fontstack}/{range}.pbf (tiles/glyphs.py, SDF
PBFs cut from Noto Sans CJK SC), and the pages pass `localIdeographFontFamily: false`, so a kiosk
without any CJK font still draws Chinese labels. FONT only names the stack. No sprite, no
external source: everything drawn comes from our own vector tiles — the product's (`village`)
over the basemap's (`basemap`: streets, water, walls, gates, names; tiles/basemap_style.py).
"""

from tiles import basemap_style

FONT = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "sans-serif"]
VACANT, LET, UNAVAILABLE = "#2e9e5b", "#c9ced6", "#8d96a3"


def build(tilejson_url: str, basemap_url: str | None = None) -> dict:
    style = {
        "version": 8,
        "name": "城中村社区治理 / urban village",
        "metadata": {"maplibre:font-families": FONT},
        "sources": {"village": {"type": "vector", "url": tilejson_url},
                    **({"basemap": {"type": "vector", "url": basemap_url}} if basemap_url else {})},
        "light": {"anchor": "viewport", "color": "#ffffff", "intensity": 0.35},
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#eef0ea"}},
            {"id": "communities-fill", "type": "fill", "source": "village", "source-layer": "communities",
             "paint": {"fill-color": "#f8f6f0", "fill-opacity": 0.35 if basemap_url else 1}},
            {"id": "grids-fill", "type": "fill", "source": "village", "source-layer": "grids",
             "paint": {"fill-color": ["case", ["boolean", ["feature-state", "selected"], False], "#fde9c8", "#f8f6f0"],
                       "fill-opacity": ["case", ["boolean", ["feature-state", "selected"], False], 0.6,
                                        0.2 if basemap_url else 0.6]}},
            {"id": "meshes-line", "type": "line", "source": "village", "source-layer": "meshes", "minzoom": 14,
             "paint": {"line-color": "#9aa5b1", "line-width": 1, "line-dasharray": [3, 2]}},
            {"id": "grids-line", "type": "line", "source": "village", "source-layer": "grids",
             "paint": {"line-color": "#c0504d", "line-width": ["interpolate", ["linear"], ["zoom"], 12, 1, 17, 3]}},
            {"id": "communities-line", "type": "line", "source": "village", "source-layer": "communities",
             "paint": {"line-color": "#7a5c2e", "line-width": 2.5}},
            {"id": "buildings-flat", "type": "fill", "source": "village", "source-layer": "buildings", "maxzoom": 15,
             "paint": {"fill-color": ["case", [">", ["get", "vacant_count"], 0], VACANT, "#a3a9b3"]}},
            {"id": "buildings-3d", "type": "fill-extrusion", "source": "village", "source-layer": "buildings",
             "minzoom": 15, "maxzoom": 17,
             "paint": {
                 "fill-extrusion-color": ["interpolate", ["linear"],
                                          ["/", ["get", "vacant_count"], ["max", 1, ["get", "room_count"]]],
                                          0, "#b8bec7", 0.5, VACANT],
                 "fill-extrusion-height": ["get", "height"], "fill-extrusion-base": 0,
                 "fill-extrusion-opacity": 0.9}},
            {"id": "rooms-3d", "type": "fill-extrusion", "source": "village", "source-layer": "rooms", "minzoom": 17,
             "paint": {
                 "fill-extrusion-color": ["match", ["get", "status"], "vacant", VACANT, "let", LET, UNAVAILABLE],
                 "fill-extrusion-base": ["get", "base_height"],
                 "fill-extrusion-height": ["-", ["get", "height"], 0.25],
                 "fill-extrusion-opacity": 0.92}},
            {"id": "grids-label", "type": "symbol", "source": "village", "source-layer": "grid_labels", "minzoom": 13,
             "filter": ["==", ["get", "level"], "grid"],
             "layout": {"text-field": ["get", "name"], "text-font": FONT, "text-size": 15},
             "paint": {"text-color": "#8e3b37", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
            {"id": "meshes-label", "type": "symbol", "source": "village", "source-layer": "grid_labels", "minzoom": 17.5,
             "filter": ["==", ["get", "level"], "mesh"],
             "layout": {"text-field": ["get", "name"], "text-font": FONT, "text-size": 11},
             "paint": {"text-color": "#56616d", "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
            {"id": "kiosks", "type": "circle", "source": "village", "source-layer": "kiosks",
             "paint": {"circle-radius": 7, "circle-color": "#1f6fb2", "circle-stroke-color": "#ffffff",
                       "circle-stroke-width": 2}},
            {"id": "kiosks-label", "type": "symbol", "source": "village", "source-layer": "kiosks", "minzoom": 15,
             "layout": {"text-field": ["get", "resident_group"], "text-font": FONT, "text-size": 12,
                        "text-offset": [0, 1.4], "text-anchor": "top"},
             "paint": {"text-color": "#1f4e79", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
        ],
    }
    if basemap_url:
        _add_basemap(style)
    _add_fields_of_view(style)
    _add_safety(style)
    return style


def _add_safety(style: dict) -> None:
    """Grids tinted by their safety colour (safety/). The public `safety` layer carries colours only
    of published rule sets, so where nothing is published nothing is drawn."""
    from safety.models import HEX, Colour

    at = next(i for i, layer in enumerate(style["layers"]) if layer["id"] == "grids-fill") + 1
    style["layers"].insert(at, {
        "id": "safety-fill", "type": "fill", "source": "village", "source-layer": "safety",
        "paint": {"fill-color": ["match", ["get", "colour"], Colour.RED.value, HEX[Colour.RED],
                                 Colour.YELLOW.value, HEX[Colour.YELLOW], HEX[Colour.GREEN]],
                  "fill-opacity": ["interpolate", ["linear"], ["zoom"], 13, 0.45, 17, 0.2]}})
def build_basemap(basemap_url: str) -> dict:
    """The basemap alone (for maps that draw their own data over it: coverage, the planner's
    Leaflet map through @maplibre/maplibre-gl-leaflet)."""
    return {
        "version": 8,
        "name": "底图 / basemap",
        "metadata": {"maplibre:font-families": FONT},
        "sources": {"basemap": {"type": "vector", "url": basemap_url}},
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": "#eef0ea"}},
                   *basemap_style.under_layers(), *basemap_style.over_layers(FONT), *basemap_style.label_layers(FONT)],
    }


def _add_basemap(style: dict) -> None:
    """Ground and water right above the background, streets and walls above the grid fills (under
    the grid lines and buildings), names on top."""
    layers = style["layers"]
    at = 1  # after the background
    layers[at:at] = basemap_style.under_layers()
    at = next(i for i, layer in enumerate(layers) if layer["id"] == "grids-fill") + 1
    layers[at:at] = basemap_style.over_layers(FONT)
    layers.extend(basemap_style.label_layers(FONT))


def _add_fields_of_view(style: dict) -> None:
    """Camera fields of view (quality bands) under the buildings — only where the administrator
    made camera layers public (TILES_PUBLIC_CAMERAS); staff see them on the planner page."""
    from tiles.layers import LAYERS, is_public

    if "fields_of_view" in LAYERS and is_public(LAYERS["fields_of_view"]):
        at = next(i for i, layer in enumerate(style["layers"]) if layer["id"] == "buildings-flat")
        style["layers"].insert(at, {
            "id": "fields-of-view", "type": "fill", "source": "village", "source-layer": "fields_of_view",
            "filter": ["!=", ["get", "kind"], "sweep"],
            "paint": {"fill-color": ["interpolate", ["linear"], ["get", "ppm"], 12.5, "#cfe8d6", 62.5, "#7cc49a",
                                     250, "#2e9e5b"], "fill-opacity": 0.45}})

"""The vector-tile layers: what each shows, from which zoom, with which attributes.

Every table name, column and attribute expression here is fixed code, never user input: the
SQL builder (tiles/sql.py) quotes identifiers and takes only z/x/y and limits as parameters.
No layer carries tenant data — only places, buildings, rooms (status, rent, area) and kiosks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from gis_core.rules import current_grid_sql, local_date_sql, local_today_sql

# The zooms we serve. Clients over-zoom past MAX_ZOOM (TileJSON maxzoom), so nothing is lost.
MIN_ZOOM, MAX_ZOOM = 0, 18
EXTENT = 4096
BUFFER = 64  # pixels of the 4096 extent drawn beyond each tile edge (no seams, labels not cut)
WORLD = 20037508.342789244  # half the EPSG:3857 world width, metres

# Sources: the product's layers come in one combined tile (/tiles/{z}/{x}/{y}.mvt); the basemap
# (basemap/) in another (/tiles/basemap/{z}/{x}/{y}.mvt), one statement per tile each. Kept apart
# because they change at different rates: letting a room must not re-render streets, and an
# import must not re-render rooms. The basemap stops at BASEMAP_MAXZOOM (MapLibre over-zooms it):
# an alley is drawn exactly at z16, and an import then refreshes a quarter of the tiles it
# would at z17 and a sixteenth of z18.
VILLAGE, BASEMAP = "village", "basemap"
BASEMAP_MAXZOOM = 16


def tile_size(z: int) -> float:
    """Width of a tile at zoom z, EPSG:3857 metres."""
    return 2 * WORLD / 2**z


def buffer_m(z: int) -> float:
    """The margin the tile SQL draws beyond each tile edge (BUFFER), in metres at zoom z."""
    return tile_size(z) * BUFFER / EXTENT


@dataclass(frozen=True, eq=False)  # identity equality and hash: layers are singletons (LAYERS)
class Layer:
    name: str
    table: str
    # (first zoom, EPSG:3857 column): the geometry to use from that zoom up. Generalised columns
    # for low zooms are precomputed (generated columns), never simplified per request.
    geometry: tuple[tuple[int, str], ...]
    # attribute name → (SQL expression over alias t / joins, TileJSON type)
    fields: dict[str, tuple[str, str]]
    minzoom: int
    maxzoom: int = MAX_ZOOM
    description: str = ""
    join: str = ""
    where: str = ""
    # (first zoom, feature cap): the most features per tile from that zoom up (None = no cap).
    caps: tuple[tuple[int, int | None], ...] = ((0, None),)
    order_by: str = ""
    # attribute name → first zoom that carries it (others: every zoom the layer serves). Attributes
    # nobody reads at overview zooms are left out there: smaller tiles, cheaper ST_AsMVT.
    field_minzoom: dict[str, int] = field(default_factory=dict)
    public: bool = True
    models: tuple[str, ...] = field(default=())  # app_label.Model whose edits change this layer
    # (first zoom, SQL condition): which rows from that zoom up ("" = all), e.g. major roads only
    # at city zooms. Fixed code like `where`.
    filters: tuple[tuple[int, str], ...] = ()
    source: str = VILLAGE

    def geometry_for(self, z: int) -> str:
        return [col for first, col in self.geometry if z >= first][-1]

    def cap_for(self, z: int) -> int | None:
        return [cap for first, cap in self.caps if z >= first][-1]

    def where_for(self, z: int) -> str:
        extra = [cond for first, cond in self.filters if z >= first][-1:] if self.filters else []
        return " AND ".join(c for c in [self.where, *extra] if c)

    def fields_for(self, z: int) -> dict[str, tuple[str, str]]:
        return {name: f for name, f in self.fields.items() if z >= self.field_minzoom.get(name, 0)}

    def serves(self, z: int) -> bool:
        return self.minzoom <= z <= self.maxzoom


# Only the grids and meshes current today (the same rule as the rest of the product, gis_core/rules.py);
# tiles that depend on it are kept no later than local midnight (tiles/cache.py).
_CURRENT = current_grid_sql("t", local_today_sql())


def _safety_layer(name: str, *, public: bool) -> Layer:
    return Layer(
        name=name, table="gis_core_grid",
        geometry=((0, "boundary_3857_generalised"), (15, "boundary_3857")),
        fields={"code": ("t.code", "String"), "name": ("t.name", "String"), "colour": ("r.colour", "String"),
                "month": ("to_char(r.month, 'YYYY-MM')", "String")},
        join="JOIN LATERAL (SELECT sr.colour, sr.month, sr.rule_set_id FROM safety_rating sr"
             " WHERE sr.grid_id = t.id ORDER BY sr.month DESC LIMIT 1) r ON true"
             " JOIN safety_ruleset s ON s.id = r.rule_set_id",
        where="t.level = 'grid' AND " + ("s.published AND " if public else "") + _CURRENT,
        minzoom=11, public=public, models=("gis_core.Grid",),
        description=("网格三色评定（红、黄、绿；仅已公开的规则）/ grid safety colours (published rules only)"
                     if public else "网格三色评定（全部，仅工作人员）/ grid safety colours (all, staff only)"),
    )


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            name="communities", table="gis_core_community",
            geometry=((0, "boundary_3857_generalised"), (13, "boundary_3857")),
            fields={"code": ("t.code", "String"), "name": ("t.name", "String")},
            minzoom=8, description="社区边界 / community boundaries", models=("gis_core.Community",),
        ),
        Layer(
            name="grids", table="gis_core_grid",
            geometry=((0, "boundary_3857_generalised"), (15, "boundary_3857")),
            fields={"code": ("t.code", "String"), "name": ("t.name", "String"), "kind": ("t.kind", "String")},
            where="t.level = 'grid' AND " + _CURRENT, minzoom=11,
            description="网格 / grids", models=("gis_core.Grid",),
        ),
        Layer(
            name="meshes", table="gis_core_grid",
            geometry=((0, "boundary_3857_generalised"), (15, "boundary_3857")),
            fields={"code": ("t.code", "String"), "name": ("t.name", "String"),
                    "grid": ("p.code", "String")},
            join="JOIN gis_core_grid p ON p.id = t.parent_id",
            where="t.level = 'mesh' AND " + _CURRENT, minzoom=14,
            description="网眼 / meshes", models=("gis_core.Grid",),
        ),
        Layer(
            name="grid_labels", table="gis_core_grid", geometry=((0, "label_3857"),),
            fields={"code": ("t.code", "String"), "name": ("t.name", "String"), "level": ("t.level", "String")},
            where=_CURRENT, minzoom=12,
            description="网格、网眼名称注记点 / grid and mesh label points", models=("gis_core.Grid",),
        ),
        Layer(
            name="buildings", table="buildings_building",
            geometry=((0, "footprint_3857"),),
            fields={
                "code": ("t.code", "String"), "address": ("t.address", "String"),
                "floors": ("t.floors", "Number"),
                "height": ("t.effective_height_m", "Number"),
                "room_count": ("t.room_count", "Number"), "vacant_count": ("t.vacant_count", "Number"),
                # Whether the landlord consents to publish their phone (the number itself never goes
                # into tiles, which anyone can harvest in bulk: pages ask the API on a tap). A consent
                # change reports the landlord's buildings (Landlord.save), which tombstones these tiles.
                "phone_public": ("coalesce(l.phone_consent AND l.consent_at IS NOT NULL AND l.phone <> '', false)",
                                 "Boolean"),
            },
            join="LEFT JOIN buildings_landlord l ON l.id = t.landlord_id",
            minzoom=14, caps=((14, 6000), (15, None)), order_by="t.room_count DESC",
            # The address is read from tiles by nobody (pages ask the API); at z14–15 a city tile
            # holds thousands of buildings, and unique addresses were half its bytes.
            field_minzoom={"address": 16, "phone_public": 16},
            description="楼栋（层数、高度、房间数、空置数；地址自 16 级起）/ buildings (address from z16)", models=("buildings.Building", "buildings.Room"),
        ),
        Layer(
            name="rooms", table="buildings_room",
            geometry=((0, "shape_3857"),),
            fields={
                "building": ("b.code", "String"), "building_id": ("t.building_id", "Number"),
                "floor": ("t.floor", "Number"), "number": ("t.number", "String"),
                # Storeys split the building's height evenly, as in 3D: the top floor meets the roof.
                "base_height": ("(t.floor - 1) * b.storey_height_m", "Number"),
                "height": ("t.floor * b.storey_height_m", "Number"),
                "status": ("t.status", "String"), "rent": ("t.rent_monthly::int", "Number"),
                "area": ("t.area_m2::float8", "Number"),
            },
            join="JOIN buildings_building b ON b.id = t.building_id",
            where="t.retired_at IS NULL",  # retired rooms keep their history, off the map
            minzoom=17, caps=((17, 8000), (18, None)),
            description="房间（逐层：base_height/height、状态、租金、面积）/ rooms per floor",
            models=("buildings.Room", "buildings.Building"),
        ),
        Layer(
            name="kiosks", table="kiosk_kiosk", geometry=((0, "location_3857"),),
            fields={"code": ("t.code", "String"), "name": ("t.name", "String"),
                    "resident_group": ("t.resident_group", "String")},
            minzoom=12, description="终端机 / kiosks", models=("kiosk.Kiosk",),
        ),
        Layer(
            name="cameras", table="gis_core_camera", geometry=((0, "location_3857"),),
            fields={
                "code": ("t.code", "String"), "heading": ("t.heading_deg", "Number"),
                "hfov": ("t.effective_hfov_deg", "Number"),
                "ptz": ("t.ptz_type IN (1, 4)", "Boolean"),
            },
            where="t.active", minzoom=14, public=False,
            description="摄像机（仅工作人员，或经管理员允许）/ cameras (staff, or public if allowed)",
            models=("gis_core.Camera",),
        ),
        # Camera fields of view, one polygon per quality band (coverage/fov.py keeps them and
        # invalidates their tiles itself); sensitive like the cameras layer.
        Layer(
            name="fields_of_view", table="coverage_viewband", geometry=((0, "geom_3857"),),
            fields={
                "camera": ("c.code", "String"), "kind": ("t.kind", "String"), "level": ("l.code", "String"),
                "ppm": ("l.ppm", "Number"), "near": ("round(t.near_m::numeric, 1)::float8", "Number"),
                "far": ("round(t.far_m::numeric, 1)::float8", "Number"),
            },
            join="JOIN gis_core_camera c ON c.id = t.camera_id JOIN coverage_qualitylevel l ON l.id = t.level_id",
            minzoom=15, public=False,
            description="摄像机视场（按画质等级分带；仅工作人员，或经管理员允许）/ camera fields of view by quality band",
        ),
        # Three-colour safety rating (safety/): each grid's latest rating. In the public tiles only
        # the colours made by a published rule set; staff read every colour from safety_staff.
        # Ratings are written by set-based statements, which refresh these tiles themselves
        # (safety.services.refresh_tiles).
        _safety_layer("safety", public=True),
        _safety_layer("safety_staff", public=False),
        # Open resident reports (reports/): staff only. reports_tile (a view, migration
        # reports.0007) places each report at its own point, or a sensitive category's at its
        # mesh's label point (its grid's without a mesh) with precision 'mesh'. Age in local days,
        # so a tile cached until local midnight stays right; tiles/reports.py invalidates the
        # mesh points too.
        Layer(
            name="reports", table="reports_tile", geometry=((0, "geom"),),
            fields={"category": ("t.category", "String"), "category_name": ("t.category_name", "String"),
                    "status": ("t.status", "String"), "level": ("t.level", "String"),
                    "age_days": (f"({local_today_sql()} - {local_date_sql('t.created_at')})", "Number"),
                    "precision": ("t.precision", "String")},
            minzoom=12, public=False, models=("reports.Report",),
            description="群众上报（未结案；按类别、天数；敏感类别只到网眼；仅工作人员）/ open resident reports (staff only)",
        ),
    )
}


def _basemap_layers() -> tuple[Layer, ...]:
    """Streets, water and names under every map (basemap/models.py; filled by an OSM import or
    the demo generator). Geometry: the coarse copy at city zooms, the fine one at district zooms."""
    line = ((0, "geom_3857_coarse"), (13, "geom_3857_fine"), (15, "geom_3857"))
    point = ((0, "geom_3857"),)
    name = ("t.name", "String")
    common = dict(source=BASEMAP, maxzoom=BASEMAP_MAXZOOM)
    return (
        Layer(name="landuse", table="basemap_landuse", geometry=line, minzoom=12,
              fields={"kind": ("t.kind", "String")}, description="用地 / landuse", **common),
        Layer(name="water", table="basemap_water", geometry=line, minzoom=10,
              fields={"kind": ("t.kind", "String"), "name": name}, description="水面 / water areas", **common),
        Layer(name="waterways", table="basemap_waterway", geometry=line, minzoom=10,
              fields={"kind": ("t.kind", "String"), "name": name},
              filters=((0, "t.kind IN ('river', 'canal')"), (14, "")),
              description="河流、水渠 / rivers, canals, streams", **common),
        Layer(name="roads", table="basemap_road", geometry=line, minzoom=10,
              fields={"kind": ("t.kind", "String"), "rank": ("t.rank", "Number"), "name": name,
                      "width": ("t.width_m", "Number")},
              # rank (basemap.models.Road.Rank): 1 major … 4 alley, 5 footpath.
              filters=((0, "t.rank <= 1"), (12, "t.rank <= 2"), (14, "t.rank <= 3"), (15, "")),
              caps=((0, 4000), (15, None)), order_by="t.rank",
              description="道路、巷道、步道（等级 1 主干道 … 4 小巷, 5 步道）/ roads, alleys and paths by rank", **common),
        Layer(name="barriers", table="basemap_barrier", geometry=line, minzoom=15,
              fields={"kind": ("t.kind", "String")}, description="围墙、栅栏 / walls and fences", **common),
        Layer(name="gates", table="basemap_gate", geometry=point, minzoom=15,
              fields={"kind": ("t.kind", "String"), "name": name, "main": ("t.main", "Boolean"),
                      "hours": ("t.hours", "String")},
              description="院门、出入口（开放时间）/ gates and entrances with opening hours", **common),
        Layer(name="pois", table="basemap_poi", geometry=point, minzoom=14,
              fields={"kind": ("t.kind", "String"), "name": name},
              description="学校、诊所、派出所、市场、公交站 / schools, clinics, police, markets, bus stops", **common),
        Layer(name="places", table="basemap_place", geometry=point, minzoom=10,
              fields={"kind": ("t.kind", "String"), "name": name}, description="地名 / place names", **common),
    )


LAYERS.update({layer.name: layer for layer in _basemap_layers()})


def public_layers() -> list[Layer]:
    """Layers in the combined public tile: cameras only when the administrator allows it."""
    allow_cameras = settings.TILES_PUBLIC_CAMERAS
    return [layer for layer in LAYERS.values() if layer.source == VILLAGE
            and (layer.public or (layer.name in ("cameras", "fields_of_view") and allow_cameras))]


def basemap_layers() -> list[Layer]:
    return [layer for layer in LAYERS.values() if layer.source == BASEMAP]


def is_public(layer: Layer) -> bool:
    return layer.source == BASEMAP or layer in public_layers()


def source_layers(name: str) -> tuple[Layer, ...] | None:
    """The public layers of a source (the combined tile, the basemap) or of one public layer."""
    if name == BASEMAP:
        return tuple(basemap_layers())
    layer = LAYERS.get(name)
    return (layer,) if layer is not None and is_public(layer) else None

"""The layers every export offers, each one parameterised statement: geometry (GeoJSON, lon/lat)
and plain attributes with English column names that GIS tools handle everywhere.

No tenant data is in any of them. A landlord's name and phone appear only for landlords whose
phone may be published (buildings.models.LandlordQuerySet.consenting — the one consent rule,
passed in as the list of such landlords). Grids and meshes are the current ones (gis_core.rules).
Every statement takes the same parameters: ``communities`` and ``ids`` (bigint arrays, NULL for
all; for views, ``ids`` are the cameras') and ``today`` and ``consenting``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis_core.rules import current_grid_sql


@dataclass(frozen=True)
class Layer:
    name: str
    geometry: str  # OGR geometry type of the GeoPackage layer
    model: str  # app_label.Model whose rows `ids` selects
    sql: str


_SCOPE = "(%(communities)s::bigint[] IS NULL OR {c} = ANY(%(communities)s)) AND (%(ids)s::bigint[] IS NULL OR {i} = ANY(%(ids)s))"


def _scope(community: str, ident: str) -> str:
    return _SCOPE.format(c=community, i=ident)


_GRID_COLUMNS = """g.code, g.name, c.code AS community_code, g.kind, g.responsible_person, g.responsible_phone,
       g.valid_from::text AS valid_from, g.valid_to::text AS valid_to,
       round(ST_Area(g.boundary::geography)::numeric, 1)::float AS area_m2"""

LAYERS: dict[str, Layer] = {layer.name: layer for layer in (
    Layer("communities", "MULTIPOLYGON", "gis_core.Community", f"""
SELECT ST_AsGeoJSON(c.boundary, 9) AS geometry, c.code, c.name,
       round(ST_Area(c.boundary::geography)::numeric, 1)::float AS area_m2
FROM gis_core_community c WHERE {_scope("c.id", "c.id")} ORDER BY c.code"""),
    Layer("grids", "MULTIPOLYGON", "gis_core.Grid", f"""
SELECT ST_AsGeoJSON(g.boundary, 9) AS geometry, {_GRID_COLUMNS}
FROM gis_core_grid g JOIN gis_core_community c ON c.id = g.community_id
WHERE g.level = 'grid' AND {current_grid_sql("g", "%(today)s")} AND {_scope("g.community_id", "g.id")}
ORDER BY g.code"""),
    Layer("meshes", "MULTIPOLYGON", "gis_core.Grid", f"""
SELECT ST_AsGeoJSON(g.boundary, 9) AS geometry, {_GRID_COLUMNS}, p.code AS parent_code
FROM gis_core_grid g JOIN gis_core_community c ON c.id = g.community_id JOIN gis_core_grid p ON p.id = g.parent_id
WHERE g.level = 'mesh' AND {current_grid_sql("g", "%(today)s")} AND {_scope("g.community_id", "g.id")}
ORDER BY g.code"""),
    Layer("buildings", "POLYGON", "buildings.Building", f"""
SELECT ST_AsGeoJSON(b.footprint, 9) AS geometry, b.code, b.address, b.floors, b.height_m, b.floor_height_m,
       c.code AS community_code, g.code AS grid_code, m.code AS mesh_code, b.room_count, b.vacant_count,
       b.source, b.source_id,
       CASE WHEN b.landlord_id = ANY(%(consenting)s) THEN l.name END AS landlord_name,
       CASE WHEN b.landlord_id = ANY(%(consenting)s) THEN l.phone END AS landlord_phone
FROM buildings_building b JOIN gis_core_community c ON c.id = b.community_id
LEFT JOIN gis_core_grid g ON g.id = b.grid_id LEFT JOIN gis_core_grid m ON m.id = b.mesh_id
LEFT JOIN buildings_landlord l ON l.id = b.landlord_id
WHERE {_scope("b.community_id", "b.id")} ORDER BY b.code"""),
    Layer("rooms", "POLYGON", "buildings.Room", f"""
SELECT ST_AsGeoJSON(COALESCE(r.footprint, r.layout), 8) AS geometry, b.code AS building_code, b.address,
       r.floor, r.number, r.area_m2::float AS area_m2, r.rent_monthly::int AS rent_monthly, r.capacity, r.status,
       r.status = 'vacant' AS vacant,
       CASE WHEN b.landlord_id = ANY(%(consenting)s) THEN l.name END AS landlord_name,
       CASE WHEN b.landlord_id = ANY(%(consenting)s) THEN l.phone END AS landlord_phone,
       CASE WHEN b.landlord_id = ANY(%(consenting)s) THEN l.consent_at END AS consent_at,
       CASE WHEN b.landlord_id = ANY(%(consenting)s) THEN l.consent_method END AS consent_method
FROM buildings_room r JOIN buildings_building b ON b.id = r.building_id
LEFT JOIN buildings_landlord l ON l.id = b.landlord_id
WHERE {_scope("b.community_id", "r.id")} ORDER BY b.code, r.floor, r.number"""),
    Layer("cameras", "POINT", "gis_core.Camera", f"""
SELECT ST_AsGeoJSON(k.location, 9) AS geometry, k.code, k.name, k.ptz_type, k.mount_height_m, k.heading_deg,
       k.tilt_deg, k.hfov_deg, k.focal_length_mm, k.sensor_width_mm, k.resolution_h, k.resolution_v, k.range_m,
       k.active, c.code AS community_code, g.code AS grid_code
FROM gis_core_camera k JOIN gis_core_community c ON c.id = k.community_id LEFT JOIN gis_core_grid g ON g.id = k.grid_id
WHERE {_scope("k.community_id", "k.id")} ORDER BY k.code"""),
    Layer("views", "MULTIPOLYGON", "coverage.ViewBand", f"""
SELECT ST_AsGeoJSON(v.geom, 9) AS geometry, k.code AS camera_code, v.kind, q.code AS quality, q.ppm AS min_ppm,
       v.near_m, v.far_m, v.area_m2
FROM coverage_viewband v JOIN gis_core_camera k ON k.id = v.camera_id JOIN coverage_qualitylevel q ON q.id = v.level_id
WHERE {_scope("k.community_id", "k.id")} ORDER BY k.code, v.kind, q.ppm"""),  # ids: the cameras'
)}

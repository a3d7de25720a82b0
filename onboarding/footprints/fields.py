"""Feature mapping: which attributes feed which building field, and how their values are read.

Attribute names are tried in order when the options name no field (compared case-insensitively);
they cover English exports, OSM tags (read from GDAL's other_tags) and common Chinese survey columns.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

import shapely
from django.utils.translation import gettext as _

from onboarding.errors import UnknownField
from onboarding.footprints.options import ADDRESS_MAX, MAX_FLOORS, MAX_HEIGHT_M, ImportOptions
from onboarding.source import RawFeature

ID_NAMES = ("id", "fid", "osm_id", "objectid", "bsm", "编号", "标识码")
FLOORS_NAMES = ("floors", "levels", "building:levels", "storeys", "层数", "楼层数", "地上层数")
HEIGHT_NAMES = ("height", "building:height", "高度", "建筑高度")
ADDRESS_NAMES = ("address", "addr", "addr:full", "地址")
NAME_NAMES = ("name", "名称", "建筑名称")


def parse_hstore(text: str | None) -> dict[str, str | None]:
    """Parse GDAL's OSM ``other_tags`` field: ``"key"=>"value","k2"=>NULL`` with backslash escapes.

    Quoted strings are consumed whole, so ``=>``, commas or escaped quotes inside a value never
    start a new pair; anything that is not a well-formed pair is skipped.
    """
    return {
        _unescape(m["key"]): None if m["value"] is None else _unescape(m["value"])
        for m in _HSTORE_PAIR.finditer(text or "")
    }


_HSTORE_PAIR = re.compile(r'"(?P<key>(?:[^"\\]|\\.)*)"\s*=>\s*(?:"(?P<value>(?:[^"\\]|\\.)*)"|NULL)', re.S)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)



@dataclass(frozen=True)
class FieldMap:
    """Which attributes feed which building field (names to try in order, actual spelling)."""

    id: tuple[str, ...]
    floors: tuple[str, ...]
    height: tuple[str, ...]
    address: tuple[str, ...]
    name: tuple[str, ...]
    columns: tuple[str, ...]  # layer columns to read
    tags_column: str | None  # OSM other_tags, parsed into attributes
    osm_ids: bool  # source id from osm_way_id / osm_id
    compose_address: bool  # build the address from addr:street + addr:housenumber when absent

    @classmethod
    def resolve(cls, columns: list[str], options: ImportOptions, is_osm: bool) -> FieldMap:
        by_lower = {c.lower(): c for c in columns}
        tags_column = "other_tags" if "other_tags" in columns else None

        def names(given: str | None, defaults: tuple[str, ...]) -> tuple[str, ...]:
            if given:
                if given in columns:
                    return (given,)
                if given.lower() in by_lower:
                    return (by_lower[given.lower()],)
                if tags_column:  # an OSM tag, present on some features only
                    return (given,)
                raise UnknownField(_("没有字段 %(given)s；现有字段：%(fields)s") % {"given": given, "fields": ", ".join(columns) or "(none)"})
            found = tuple(by_lower[d.lower()] for d in defaults if d.lower() in by_lower)
            # Tags live in other_tags, not in the columns: keep every default name to look up per feature.
            return found + tuple(d for d in defaults if d not in found) if tags_column else found

        mapping = {
            "id": names(options.code_field or options.id_field, ID_NAMES),
            "floors": names(options.floors_field, FLOORS_NAMES),
            "height": names(options.height_field, HEIGHT_NAMES),
            "address": names(options.address_field, ADDRESS_NAMES),
            "name": names(options.name_field, NAME_NAMES),
        }
        osm_ids = is_osm and not (options.id_field or options.code_field)
        wanted = {n for group in mapping.values() for n in group}
        wanted |= {tags_column, "building", "osm_id", "osm_way_id"} if is_osm else {tags_column}
        return cls(
            **mapping,
            columns=tuple(c for c in columns if c in wanted),
            tags_column=tags_column,
            osm_ids=osm_ids,
            compose_address=not options.address_field,
        )


def _first(attributes: dict, names: tuple[str, ...]):
    for name in names:
        value = attributes.get(name)
        if value is not None and str(value).strip() != "":
            return value
    return None


def source_id_of(feature: RawFeature, fields: FieldMap) -> str | None:
    if fields.osm_ids:
        way, relation = feature.attributes.get("osm_way_id"), feature.attributes.get("osm_id")
        return f"way/{way}" if way else f"relation/{relation}" if relation else None
    value = _first(feature.attributes, fields.id)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 17.0 from a real-typed column is id "17"
    return None if value is None else str(value).strip()


def geometry_id(geometry) -> str:
    """A stable id for a feature without one: hash of its normalised source geometry.

    Normalising (ring start and orientation) keeps the id when an editor merely re-saves the file.
    """
    shape = shapely.normalize(shapely.force_2d(shapely.from_wkb(bytes(geometry.wkb))))
    return "geom-" + hashlib.sha1(shapely.to_wkb(shape)).hexdigest()[:16]


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _number(value) -> float | None:
    """First number in a value: 5, "5", "5.0", "5;6" (OSM lists), "12 m"."""
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _NUMBER.search(str(value or ""))
        number = float(match.group()) if match else None
    return number if number is not None and math.isfinite(number) else None


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)  # round() would round 4.5 floors down to 4 (banker's rounding)


def storeys(attributes: dict, fields: FieldMap, options: ImportOptions, notes: list[str]) -> tuple[int, float | None]:
    raw_floors, raw_height = _first(attributes, fields.floors), _first(attributes, fields.height)
    floors = height = None
    if raw_floors is not None:
        number = _number(raw_floors)
        if number is not None and 1 <= _round_half_up(number) <= MAX_FLOORS:
            floors = _round_half_up(number)
        else:
            notes.append(_("层数无效已忽略：%(value)r") % {"value": raw_floors})
    if raw_height is not None:
        number = _number(raw_height)
        if number is not None and re.search(r"'|ft|feet", str(raw_height), re.I):
            number *= 0.3048  # OSM allows feet: height=40' or 40 ft
        if number is not None and 0 < number <= MAX_HEIGHT_M:
            height = round(number, 2)
        else:
            notes.append(_("高度无效已忽略：%(value)r") % {"value": raw_height})
    if floors is None and height is not None:
        floors = min(MAX_FLOORS, max(1, _round_half_up(height / options.floor_height)))
    if floors is None:
        floors = options.default_floors
        notes.append(_("无层数和高度，按默认 %(floors)s 层") % {"floors": floors})
    return floors, height


def address(attributes: dict, fields: FieldMap) -> str:
    address = str(_first(attributes, fields.address) or "").strip()
    if not address and fields.compose_address:
        street, number = attributes.get("addr:street"), attributes.get("addr:housenumber")
        address = " ".join(str(part).strip() for part in (street, number) if part)
    name = str(_first(attributes, fields.name) or "").strip()
    label = f"{address}（{name}）" if address and name else address or name
    return label[:ADDRESS_MAX]



def expand_tags(attributes: dict, fields: FieldMap) -> dict:
    """Merge OSM tags (GDAL's other_tags) into the attributes."""
    if not fields.tags_column:
        return attributes
    # Set columns win over tags of the same name (the OSM driver promotes a few tags to columns).
    tags = parse_hstore(attributes.pop(fields.tags_column, None))
    return {**tags, **{k: v for k, v in attributes.items() if v is not None}}

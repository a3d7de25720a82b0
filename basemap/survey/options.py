"""What a survey import may be told (the command's options and the admin form's fields)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from onboarding.errors import ImportFailed

# The basemap layers a survey can fill (what --layer and --dxf-layer name).
KINDS = ("roads", "paths", "water", "walls", "gates", "landuse")
# Attribute roles --field maps to the file's fields: role=FIELD.
ROLES = ("name", "class", "width", "hours")
DXF_LAYER_FIELD = "Layer"  # GDAL's DXF driver: the CAD layer an entity is drawn on
PREFIX = "survey:"  # extract names of surveys (basemap.models.Extract)
NAME_MAX = 100 - len(PREFIX)


def pairs(items, what: str) -> list[tuple[str, str]]:
    """["a=b", …] → [(a, b), …]; ImportFailed names the malformed item."""
    found = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImportFailed(_("%(what)s 的格式为 名称=值：%(item)s") % {"what": what, "item": item})
        found.append((key.strip(), value.strip()))
    return found


@dataclass(frozen=True)
class SurveyOptions:
    layer: str | None = None  # the kind of every feature (or of those on DXF layers not mapped)
    srid: int | None = None
    fields: tuple[str, ...] = ()  # "role=FIELD", e.g. "name=NAME", "class=KIND"
    dxf_layers: tuple[str, ...] = ()  # "CAD layer=kind", e.g. "道路=roads"
    file_layer: str | None = None  # the layer of a file that has several (GeoPackage); default the only one
    name: str | None = None  # the survey's name; default the file's stem. Re-importing a name replaces it.
    dry_run: bool = False

    def __post_init__(self):
        if self.layer is not None and self.layer not in KINDS:
            raise ImportFailed(_("--layer 须为 %(kinds)s 之一") % {"kinds": "、".join(KINDS)})
        for role, _field in self.field_map().items():
            if role not in ROLES:
                raise ImportFailed(_("--field 的属性须为 %(roles)s 之一：%(role)s") % {"roles": "、".join(ROLES), "role": role})
        for _cad, kind in self.dxf_map().items():
            if kind not in KINDS:
                raise ImportFailed(_("--dxf-layer 的类别须为 %(kinds)s 之一：%(kind)s") % {"kinds": "、".join(KINDS), "kind": kind})
        if self.layer is None and not self.dxf_layers:
            raise ImportFailed(_("请用 --layer 指定图层类别（%(kinds)s），或用 --dxf-layer 对应 CAD 图层")
                               % {"kinds": "、".join(KINDS)})
        if self.name is not None and not (0 < len(self.name) <= NAME_MAX):
            raise ImportFailed(_("名称须为 1–%(n)d 个字符") % {"n": NAME_MAX})

    def field_map(self) -> dict[str, str]:
        return dict(pairs(self.fields, "--field"))

    def dxf_map(self) -> dict[str, str]:
        return dict(pairs(self.dxf_layers, "--dxf-layer"))

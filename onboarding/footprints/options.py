"""What a building import may be told, and the limits its values must respect."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from buildings.models import Building
from onboarding.errors import ImportFailed

MAX_FLOORS = 200  # Building.floors validator
MAX_HEIGHT_M = 1000.0
CODE_MAX = Building._meta.get_field("code").max_length
SOURCE_MAX = Building._meta.get_field("source").max_length
SOURCE_ID_MAX = Building._meta.get_field("source_id").max_length
ADDRESS_MAX = Building._meta.get_field("address").max_length
BATCH_SIZE = 1000

OSM_LAYER = "multipolygons"
OSM_SOURCE = "osm"


@dataclass(frozen=True)
class ImportOptions:
    layer: str | None = None
    srid: int | None = None  # the source CRS; overrides a declared one that is wrong
    source: str | None = None  # provenance name; default "osm" for OSM files, else the file name stem
    id_field: str | None = None
    # Key features by building code instead of (source, source id): an export re-imported in place.
    code_field: str | None = None
    floors_field: str | None = None
    height_field: str | None = None
    address_field: str | None = None
    name_field: str | None = None  # Building has no name: a name is appended to the address label
    default_floors: int = 1
    floor_height: float = 3.0  # metres; derives floors from height, stored on new buildings
    repair: bool = True
    dry_run: bool = False

    def __post_init__(self):
        if not 1 <= self.default_floors <= MAX_FLOORS:
            raise ImportFailed(_("默认层数须在 1–%(max)s 之间") % {"max": MAX_FLOORS})
        if not 2 <= self.floor_height <= 10:
            raise ImportFailed(_("层高须在 2–10 米之间"))
        if self.source is not None and not 0 < len(self.source.strip()) <= SOURCE_MAX:
            raise ImportFailed(_("来源名称须为 1–%(max)s 个字符") % {"max": SOURCE_MAX})

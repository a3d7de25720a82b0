"""What a boundary import may be told."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from onboarding.errors import ImportFailed

LEVELS = ("community", "grid", "mesh")  # written in this order: a parent before its children
CODE_DIGITS = {"community": 12, "grid": 15, "mesh": 18}


@dataclass(frozen=True)
class BoundaryOptions:
    layers: tuple[str, ...] = ()  # default: every layer (an OSM file: multipolygons)
    srid: int | None = None
    level: str | None = None  # default: from a level field, else from the length of the code
    code_field: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    kind_field: str | None = None
    person_field: str | None = None
    phone_field: str | None = None
    valid_from_field: str | None = None
    level_field: str | None = None
    select: tuple[str, ...] = ()  # "field=value": import only the features that match all of them
    code_prefix: str | None = None  # 9 digits (county + street): numbers communities without a code
    repair: bool = False  # invalid boundaries are rejected unless the user asks for a repair
    dry_run: bool = False

    def __post_init__(self):
        if self.level is not None and self.level not in LEVELS:
            raise ImportFailed(_("层级须为 community、grid 或 mesh"))
        if self.code_prefix is not None and not re.fullmatch(r"\d{9}", self.code_prefix):
            raise ImportFailed(_("--code-prefix 须为 9 位数字（6 位区县 + 3 位街道）"))
        for item in self.select:
            if "=" not in item:
                raise ImportFailed(_("--select 的格式为 字段=值：%(item)s") % {"item": item})

    def selection(self) -> list[tuple[str, str]]:
        return [tuple(part.strip() for part in item.split("=", 1)) for item in self.select]

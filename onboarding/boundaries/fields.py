"""Feature mapping for boundaries: which attribute holds the code, the name, the parent… and
reading each value into what the models take.

Attribute names are tried in order when the options name no field (case-insensitively): English
exports, OSM tags and the column names of Chinese grid-management systems.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from gis_core.models import Grid
from onboarding.errors import Rejected, UnknownField
from onboarding.footprints.fields import parse_hstore

ALIASES = {
    "code": ("code", "grid_code", "编码", "代码", "网格编码", "网格代码", "网眼编码", "社区代码", "社区编码", "bm"),
    "name": ("name", "名称", "网格名称", "网眼名称", "社区名称", "mc"),
    "parent": ("parent", "parent_code", "上级编码", "上级代码", "所属社区", "所属网格", "社区代码_上级"),
    "kind": ("kind", "type", "类型", "网格类型"),
    "person": ("responsible", "responsible_person", "person", "责任人", "负责人", "网格员", "网格长"),
    "phone": ("phone", "responsible_phone", "tel", "电话", "联系电话", "责任人电话"),
    "valid_from": ("valid_from", "start", "生效日期", "启用日期", "设立日期"),
    "level": ("level", "层级", "级别"),
}
_LEVEL_WORDS = {"community": "community", "社区": "community", "grid": "grid", "网格": "grid",
                "一级网格": "grid", "mesh": "mesh", "网眼": "mesh", "二级网格": "mesh"}
_KIND_WORDS = {"围院": Grid.Kind.COURTYARD, "courtyard": Grid.Kind.COURTYARD, "楼栋": Grid.Kind.BUILDING,
               "building": Grid.Kind.BUILDING, "基础": Grid.Kind.BASIC, "basic": Grid.Kind.BASIC}
PERSON_MAX = Grid._meta.get_field("responsible_person").max_length
PHONE_MAX = Grid._meta.get_field("responsible_phone").max_length
NAME_MAX = Grid._meta.get_field("name").max_length


@dataclass(frozen=True)
class BoundaryFields:
    names: dict[str, tuple[str, ...]]  # attribute → field names to try, in order
    tags_column: str | None

    @classmethod
    def resolve(cls, columns: list[str], options) -> BoundaryFields:
        by_lower = {c.lower(): c for c in columns}
        tags_column = "other_tags" if "other_tags" in columns else None
        names = {}
        for key, aliases in ALIASES.items():
            given = getattr(options, f"{key}_field")
            if given:
                if given.lower() in by_lower:
                    names[key] = (by_lower[given.lower()],)
                elif tags_column:  # an OSM tag, present on some features only
                    names[key] = (given,)
                else:
                    raise UnknownField(_("没有字段 %(field)s；文件中的字段：%(fields)s")
                                       % {"field": given, "fields": ", ".join(columns) or "-"})
            else:
                names[key] = tuple(by_lower[a.lower()] for a in aliases if a.lower() in by_lower)
        return cls(names, tags_column)

    def attributes(self, raw: dict) -> dict:
        if not self.tags_column:
            return raw
        tags = parse_hstore(raw.pop(self.tags_column, None))
        return {**tags, **{k: v for k, v in raw.items() if v is not None}}

    def value(self, attributes: dict, key: str):
        for name in self.names[key]:
            value = attributes.get(name)
            if value is not None and str(value).strip() != "":
                return value
        return None

    def text(self, attributes: dict, key: str) -> str:
        value = self.value(attributes, key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code in a numeric DBF column: 530112001001.0
        return "" if value is None else str(value).strip()


def level_of(text: str) -> str | None:
    return _LEVEL_WORDS.get(text.strip().lower()) if text else None


def kind_of(text: str) -> str:
    if not text:
        return Grid.Kind.BASIC
    for word, kind in _KIND_WORDS.items():
        if word in text.lower():
            return kind
    raise Rejected(_("未知的网格类型 %(kind)s（可用：围院式、楼栋、基础）") % {"kind": text})


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def date_of(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE.search(str(value))
    try:
        if match:
            return dt.date(*map(int, match.groups()))
        if re.fullmatch(r"\d{8}", str(value).strip()):
            text = str(value).strip()
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        pass
    raise Rejected(_("无法识别的日期 %(value)s（应为 2024-01-31 这样的格式）") % {"value": value})


def checked_text(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise Rejected(_("%(what)s超过 %(n)d 个字符") % {"what": what, "n": limit})
    return value

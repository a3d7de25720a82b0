"""The columns of a room register (出租房屋登记表): names in Chinese and English, the header row,
and the template/export layout.

Registers are kept by hand in Excel: a title row above the header ("XX社区出租房屋登记表"),
sometimes a two-row header whose group cell is merged ("房东" over "姓名" and "电话"), units in
the names ("面积(㎡)", "月租金（元）"), required marks ("*房号"). Header names are normalised
before they are looked up, and the header row is the one of the first rows that names the most
known columns.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from onboarding.errors import UnknownField

# field → names (normalised as by `normalise`); the first is the template's and export's header.
ALIASES: dict[str, tuple[str, ...]] = {
    "building": ("楼栋编号", "楼栋编码", "楼号", "楼栋号", "建筑编号", "building", "buildingcode", "building_code"),
    "address": ("房屋地址", "地址", "门牌号", "门牌地址", "房屋坐落", "address"),
    "floor": ("楼层", "所在楼层", "层次", "floor"),
    "number": ("房号", "房间号", "室号", "房间编号", "room", "roomnumber", "room_number", "number"),
    "area": ("面积", "使用面积", "建筑面积", "房屋面积", "area", "area_m2"),
    "rent": ("月租金", "租金", "月租", "rent", "rent_monthly", "monthlyrent"),
    "capacity": ("可住人数", "可居住人数", "核定人数", "capacity"),
    "status": ("状态", "房屋状态", "出租状态", "status"),
    "landlord_name": ("房东姓名", "房东", "业主姓名", "出租人", "出租人姓名", "landlord", "landlord_name"),
    "landlord_phone": ("房东电话", "房东联系电话", "联系电话", "房东手机", "出租人电话", "landlord_phone", "phone"),
    "consent": ("是否同意公开电话", "同意公开电话", "公开电话", "phone_consent", "consent"),
    "consent_date": ("同意日期", "同意时间", "consent_date", "consent_at"),
    "consent_method": ("同意方式", "consent_method"),
    # Recognised so that it is never imported by accident: an ID number is sealed data, kept out.
    "landlord_id_number": ("房东身份证号", "房东身份证号码", "身份证号", "身份证号码", "出租人身份证号"),
}
# Known columns that carry nothing to import (listed so they do not count as unknown).
IGNORED = ("序号", "户型", "备注", "no", "remarks", "note")
REQUIRED = ("floor", "number", "area", "rent")  # and building or address
# Template and export: the register's columns in order (landlord ID numbers are never exported).
TEMPLATE_FIELDS = ("building", "address", "floor", "number", "area", "rent", "capacity", "status",
                   "landlord_name", "landlord_phone", "consent", "consent_date", "consent_method")
HEADER_ROWS_SCANNED = 15

_LOOKUP: dict[str, str] = {}  # filled below, once `normalise` exists


def normalise(header) -> str:
    """'面积（㎡）' → '面积', ' *房 号 ' → '房号', 'Room Number' → 'roomnumber'."""
    text = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    text = re.sub(r"\([^)]*\)|\[[^]]*\]", "", text)  # units: (㎡) (元) [m2]
    return re.sub(r"[\s*:_\-.]+", "", text)


_LOOKUP.update({normalise(name): field for field, names in ALIASES.items() for name in names})


def field_of(header, mapping: dict[str, str]) -> str | None:
    key = normalise(header)
    if not key:
        return None
    if key in mapping:
        return mapping[key]
    return _LOOKUP.get(key)


def parse_map(items) -> dict[str, str]:
    """--map 列名=字段 (repeatable): a column the aliases do not know, and the field it holds."""
    mapping = {}
    for item in items or ():
        column, sep, field = str(item).partition("=")
        field = field.strip()
        if not sep or field not in ALIASES:
            raise UnknownField(_("--map 的格式为 列名=字段，字段为：%(fields)s") % {"fields": ", ".join(ALIASES)})
        mapping[normalise(column)] = field
    return mapping


def locate_header(rows: list[list], mapping: dict[str, str]) -> tuple[int, dict[int, str], int]:
    """(index of the header row, column index → field, index of the first data row) among `rows`."""
    best = (0, -1)
    for i, row in enumerate(rows[:HEADER_ROWS_SCANNED]):
        hits = sum(1 for cell in row if field_of(cell, mapping))
        if hits > best[0]:
            best = (hits, i)
    hits, index = best
    if hits < 2:
        raise UnknownField(_("找不到表头：前 %(n)d 行中没有可识别的列名（如 楼栋编号、楼层、房号、面积、月租金）")
                           % {"n": HEADER_ROWS_SCANNED})
    header = rows[index]
    columns = {j: f for j, cell in enumerate(header) if (f := field_of(cell, mapping))}
    start = index + 1
    # A two-row header: group cells merged over the row below ("房东" over "姓名", "电话").
    if index + 1 < len(rows):
        below = rows[index + 1]
        group = ""
        extra = {}
        for j in range(max(len(header), len(below))):
            top = header[j] if j < len(header) else None
            group = str(top) if top not in (None, "") else group
            sub = below[j] if j < len(below) else None
            if sub in (None, "") or j in columns:
                continue
            field = field_of(f"{group}{sub}", mapping) or field_of(sub, mapping)
            if field:
                extra[j] = field
        if extra:
            columns.update(extra)
            start = index + 2
    return index, columns, start


def check_required(columns: dict[int, str], headers: list) -> None:
    present = set(columns.values())
    missing = [f for f in REQUIRED if f not in present]
    if "building" not in present and "address" not in present:
        missing.insert(0, "building/address")
    if missing:
        raise UnknownField(_("缺少必需的列：%(missing)s；表头为：%(headers)s")
                           % {"missing": ", ".join(missing),
                              "headers": ", ".join(str(h) for h in headers if h not in (None, ""))})


def header_label(field: str) -> str:
    return ALIASES[field][0]

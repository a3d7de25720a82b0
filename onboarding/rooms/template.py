"""The register template (manage.py import_rooms --template rooms.xlsx, and the admin's download)
and the register layout the room export writes — the same columns, so an export re-imports."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gis_core.csvexport import safe_cell
from onboarding.rooms.columns import ALIASES, REQUIRED, TEMPLATE_FIELDS, header_label

EXAMPLE = {"building": "B-1", "address": "学府路1号", "floor": 3, "number": "301", "area": 18.5, "rent": 800,
           "capacity": 2, "status": "空置", "landlord_name": "张三", "landlord_phone": "13800000000",
           "consent": "是", "consent_date": "2024-03-01", "consent_method": "纸质"}


def register_workbook(rows, title: str):
    """An openpyxl workbook: a title row, the header, then `rows` (sequences in TEMPLATE_FIELDS order)."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=False)
    sheet = book.active
    sheet.title = _("出租房屋登记表")
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(TEMPLATE_FIELDS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([header_label(f) for f in TEMPLATE_FIELDS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])  # a cell starting with = + - @ is text, never a formula
    sheet.freeze_panes = "A3"
    return book


def write_template(target) -> None:
    book = register_workbook([[EXAMPLE[f] for f in TEMPLATE_FIELDS]], _("XX社区出租房屋登记表"))
    notes = book.create_sheet(_("说明"))
    notes.append([_("列"), _("必填"), _("也可写作"), _("说明")])
    explain = {
        "building": _("楼栋编号与房屋地址至少填一个；地址中的全角数字、号/栋/幢均可"),
        "floor": _("整数；地下层写 -1 或 B1"),
        "status": _("空置、已出租、自住、不可出租；已出租的房间不会因导入改为空置"),
        "consent": _("是/否；只有同时填写同意日期和同意方式，电话才会公开"),
        "consent_method": _("纸质、终端、当面、电话"),
    }
    for f in TEMPLATE_FIELDS:
        required = f in REQUIRED or f in ("building", "address")
        notes.append([header_label(f), _("是") if required else "", "、".join(ALIASES[f][1:]), explain.get(f, "")])
    book.save(target)

"""Import rooms and landlords from a room register (出租房屋登记表): XLSX or CSV.

    report = import_rooms("register.xlsx", RoomOptions(community="530112001001"))

1. read the cells (read.py: XLSX streamed by openpyxl; CSV in UTF-8 or GB18030, detected) and
   find the header under any title rows, with Chinese/English aliases and ``column_map`` (columns.py);
2. per row: parse floor, room number, area, rent, capacity, status, landlord and phone consent
   (parse.py) and match the building by code or normalised address (match.py) — every problem
   becomes a per-row error with the spreadsheet's row number;
3. in one transaction: landlords de-duplicated by phone and rooms upserted in bulk by building +
   floor + room number (write.py); rooms absent from the file are left alone, a let room is never
   made vacant; then layouts, tiles and 3D follow once (onboarding.rederive).

``dry_run`` rolls everything back; ``all_or_nothing`` writes nothing when any row has an error.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from gis_core.models import Community
from onboarding.errors import ImportFailed, NothingImported, Rejected
from onboarding.rederive import after_import
from onboarding.report import Action, ImportReport, ReportRow, reject
from onboarding.rooms import columns as cols
from onboarding.rooms.match import BuildingIndex
from onboarding.rooms.parse import fill_down, parse
from onboarding.rooms.read import read_cells
from onboarding.rooms.write import write_landlords, write_rooms


@dataclass(frozen=True)
class RoomOptions:
    sheet: str | None = None
    column_map: tuple[str, ...] = ()  # "列名=field"
    community: str | None = None  # code: match buildings of this community only
    dry_run: bool = False
    all_or_nothing: bool = False


class RoomReport(ImportReport):
    CSV_COLUMNS = ("row", "room", "building", "action", "reason")


def import_rooms(path: str | os.PathLike, options: RoomOptions | None = None) -> RoomReport:
    options = options or RoomOptions()
    started = time.monotonic()
    mapping = cols.parse_map(options.column_map)
    sheet, cells, encoding = read_cells(path, options.sheet)
    report = RoomReport(path=str(path), layer=sheet, source=os.path.basename(os.fspath(path)), crs="-",
                        dry_run=options.dry_run, encoding=encoding)
    header_at, columns, start = cols.locate_header(cells, mapping)
    cols.check_required(columns, cells[header_at])
    if "landlord_id_number" in columns.values():
        report.notes.append(_("房东身份证号列未导入：身份证号属敏感信息，不从登记表导入"))
    community_id = None
    if options.community:
        community_id = Community.objects.filter(code=options.community).values_list("pk", flat=True).first()
        if community_id is None:
            raise ImportFailed(_("没有代码为 %(code)s 的社区") % {"code": options.community})

    records = []
    for offset, cells_row in enumerate(cells[start:], start=start + 1):
        values = {f: cells_row[j] for j, f in columns.items() if j < len(cells_row)}
        if all(v in (None, "") for v in values.values()):
            continue  # blank lines and the empty rows Excel keeps below the data
        records.append((offset, values))
    fill_down([values for _line, values in records])

    index = BuildingIndex(community_id)
    good = []
    seen: dict[tuple, int] = {}
    for line, values in records:
        row = ReportRow(feature=line, source_id="")
        report.rows.append(row)
        try:
            room = parse(line, values)
            row.source_id = room.key
            room.building_id, floors = index.find(room.building, room.address)
            row.code = room.building or room.address
            if room.floor > floors:
                raise Rejected(_("楼层 %(floor)d 高于楼栋的 %(floors)d 层") % {"floor": room.floor, "floors": floors})
            key = (room.building_id, room.floor, room.number)
            if key in seen:
                raise Rejected(_("房号重复（同第 %(line)d 行）") % {"line": seen[key]})
            seen[key] = line
        except Rejected as exc:
            reject(row, str(exc))
            continue
        good.append((room, row))
    if not report.rows:
        raise NothingImported(_("表中没有数据行"), report)
    if options.all_or_nothing and report.rejected:
        raise ImportFailed(_("有 %(n)d 行错误，按“全部或不导入”未写入任何数据") % {"n": len(report.rejected)}, report)
    if not good:
        raise NothingImported(_("没有可导入的行：每一行都有错误"), report)

    with transaction.atomic():
        write_landlords(good)
        added, updated, kept = write_rooms(good)
        if kept:
            report.notes.append(_("%(n)d 个已出租房间在表中为空置，保持已出租（以租约为准）") % {"n": kept})
        after_import(rooms_added=added, rooms_updated=updated)
        if options.dry_run:
            transaction.set_rollback(True)
    for room, row in good:
        row.reason = "; ".join(room.notes) if room.notes else row.reason
        row.action = row.action or Action.UNCHANGED
    report.elapsed_s = time.monotonic() - started
    return report

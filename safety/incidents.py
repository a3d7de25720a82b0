"""Police incidents from CSV: time, place (address or coordinates), category; one report line per row.

    编号,时间,类别,地址,经度,纬度
    JQ20261103001,2026-11-03 21:15,入室盗窃,川坊社区第3院12栋,,
    JQ20261104007,2026/11/4 02:40,theft,,102.6431,25.0212

* Encoding: UTF-8 (with or without BOM), else GB18030 (what spreadsheet programs on Chinese
  Windows save); the report says which.
* Columns by header, Chinese or English (see COLUMNS); other columns are ignored and never stored.
* Place: coordinates (WGS 84 / CGCS2000 degrees) win over the address; a point inside a building's
  footprint is that building, elsewhere (an alley) the point alone places it in its grid. An
  address must match exactly one building (safety/address.py).
* Category: a code or a name of safety.IncidentCategory.
* A row already imported (same case number, or — without one — same time, category and place)
  is skipped, so a file can be imported again. Bad rows are reported and skipped; the good rows
  are stored, unless `dry_run`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_core.errors import BadRequest, PayloadTooLarge
from safety.address import AddressIndex, normalise
from safety.models import Incident, IncidentCategory

MAX_BYTES = 20 * 2**20
MAX_ROWS = 200_000
COLUMNS = {
    "id": ("编号", "警情编号", "案件编号", "id", "case_id", "case_no"),
    "time": ("时间", "发生时间", "报警时间", "案发时间", "time", "occurred_at", "datetime"),
    "category": ("类别", "警情类别", "案件类别", "类型", "category", "type"),
    "address": ("地址", "地点", "发生地点", "案发地点", "address", "place"),
    "lon": ("经度", "lon", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H时%M分", "%Y年%m月%d日 %H时%M分", "%Y%m%d%H%M%S",
                "%Y年%m月%d日")


@dataclass
class RowResult:
    row: int
    status: str  # "ok" (stored, or would be with dry_run), "duplicate", "error"
    message: str = ""
    building: str = ""
    community: str = ""


@dataclass
class ImportReport:
    encoding: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in ("ok", "duplicate", "error")}

    @property
    def created(self) -> int:
        return 0 if self.dry_run else self.count("ok")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when it decodes, else GB18030."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(_("文件过大（上限 %(mb)d MB）") % {"mb": MAX_BYTES // 2**20})
    if b"\x00" in data:
        raise BadRequest(_("文件中含有空字符（NUL），不是 CSV 文本"))
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise BadRequest(_("无法识别文件编码：请保存为 UTF-8 或 GB18030（GBK）")) from exc


def _columns(header: list[str]) -> dict[str, int]:
    norm = [h.strip().lower() for h in header]
    found = {}
    for key, names in COLUMNS.items():
        for name in names:
            if name.lower() in norm:
                found[key] = norm.index(name.lower())
                break
    if "time" not in found or "category" not in found:
        raise BadRequest(_("缺少必需的列：时间、类别（以及地址或经度、纬度）"))
    if "address" not in found and not {"lon", "lat"} <= found.keys():
        raise BadRequest(_("缺少地点列：地址，或经度和纬度"))
    return found


def parse_time(text: str, now: datetime) -> datetime:
    text = text.strip()
    value = None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        for fmt in TIME_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if value is None:
        raise ValueError(_("时间格式无法识别：%(t)s（例如 2026-11-03 21:15）") % {"t": text[:40]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + timedelta(minutes=5):
        raise ValueError(_("时间在将来：%(t)s") % {"t": text[:40]})
    return value


def _categories() -> dict[str, IncidentCategory]:
    out = {}
    for c in IncidentCategory.objects.all():
        out[c.code.lower()] = c
        out[normalise(c.name).lower()] = c
    return out


def import_csv(data: bytes, *, dry_run: bool = False, now: datetime | None = None) -> ImportReport:
    now = now or timezone.now()
    text, encoding = decode(data)
    report = ImportReport(encoding=encoding, dry_run=dry_run)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise BadRequest(_("文件是空的")) from None
    except csv.Error as exc:
        raise BadRequest(_("不是有效的 CSV：%(e)s") % {"e": exc}) from None
    cols = _columns(header)
    categories = _categories()
    addresses = None
    pending: list[tuple[RowResult, dict]] = []
    seen: set[str] = set()
    try:
        for record in reader:
            if len(pending) + len(report.rows) >= MAX_ROWS:
                raise PayloadTooLarge(_("行数过多（上限 %(n)d 行）") % {"n": MAX_ROWS})
            n = reader.line_num
            if not any(cell.strip() for cell in record):
                continue

            def cell(key):
                i = cols.get(key)
                return record[i].strip() if i is not None and i < len(record) else ""

            result = RowResult(row=n, status="ok")
            try:
                occurred = parse_time(cell("time"), now) if cell("time") else None
                if occurred is None:
                    raise ValueError(_("缺少时间"))
                category = categories.get(normalise(cell("category")).lower())
                if category is None:
                    raise ValueError(_("未知类别：%(c)s") % {"c": cell("category")[:30] or "—"})
                place = normalise(cell("address"))[:200]
                row = {"occurred_at": occurred, "category": category, "place": place}
                if cell("lon") or cell("lat"):
                    try:
                        lon, lat = float(cell("lon")), float(cell("lat"))
                    except ValueError:
                        raise ValueError(_("经纬度须为数字")) from None
                    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                        raise ValueError(_("经纬度超出范围"))
                    row["point"] = (lon, lat)
                elif place:
                    if addresses is None:
                        addresses = AddressIndex.of_buildings()
                    ids, _how = addresses.find(place)
                    if not ids:
                        raise ValueError(_("地址找不到对应楼栋：%(a)s") % {"a": place[:60]})
                    if len(ids) > 1:
                        raise ValueError(_("地址对应多个楼栋（%(n)d 栋），请写完整：%(a)s") % {"n": len(ids), "a": place[:60]})
                    row["building_id"] = ids[0]
                else:
                    raise ValueError(_("缺少地点：地址或经纬度"))
                key = cell("id")[:64] or _digest(occurred, category.code, place, row.get("point"))
                if key in seen:
                    result.status, result.message = "duplicate", _("文件中重复")
                    report.rows.append(result)
                    continue
                seen.add(key)
                row["source_id"] = key
                pending.append((result, row))
            except ValueError as exc:
                result.status, result.message = "error", str(exc)
                report.rows.append(result)
    except csv.Error as exc:
        report.rows.append(RowResult(row=reader.line_num, status="error", message=_("CSV 格式错误：%(e)s") % {"e": exc}))
    _place(pending)
    existing = set(Incident.objects.filter(source_id__in=[r["source_id"] for _res, r in pending])
                   .values_list("source_id", flat=True))
    to_store = []
    for result, row in pending:
        if row.get("error"):
            result.status, result.message = "error", row["error"]
        elif row["source_id"] in existing:
            result.status, result.message = "duplicate", _("已导入过")
        else:
            to_store.append(row)
        report.rows.append(result)
    report.rows.sort(key=lambda r: r.row)
    if not dry_run and to_store:
        _store(to_store, now)
    return report


def _digest(occurred: datetime, category: str, place: str, point) -> str:
    text = f"{occurred.isoformat()}|{category}|{place}|{point or ''}"
    return "h:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _place(pending: list[tuple[RowResult, dict]]) -> None:
    """One query for every row: the building under each point (or the point of each building),
    and the community, which every incident must lie in."""
    if not pending:
        return
    idx = list(range(len(pending)))
    lons = [r["point"][0] if "point" in r else None for _res, r in pending]
    lats = [r["point"][1] if "point" in r else None for _res, r in pending]
    bids = [r.get("building_id") for _res, r in pending]
    with connection.cursor() as cur:
        cur.execute(
            "WITH p AS (SELECT * FROM unnest(%s::int[], %s::float8[], %s::float8[], %s::bigint[]) AS p(i, lon, lat, bid))"
            " SELECT p.i, b.id, b.code, ST_X(pt), ST_Y(pt), c.code FROM p"
            " CROSS JOIN LATERAL (SELECT CASE WHEN p.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)"
            "   ELSE (SELECT ST_PointOnSurface(bb.footprint) FROM buildings_building bb WHERE bb.id = p.bid) END AS pt) q"
            # Two branches, so each uses its index (the primary key, the footprint's GiST).
            " LEFT JOIN LATERAL (SELECT bb.id, bb.code FROM buildings_building bb WHERE p.bid IS NOT NULL AND bb.id = p.bid"
            "   UNION ALL (SELECT bb.id, bb.code FROM buildings_building bb WHERE p.bid IS NULL"
            "   AND ST_Covers(bb.footprint, q.pt) ORDER BY bb.id LIMIT 1)) b ON true"
            " LEFT JOIN LATERAL (SELECT cc.code FROM gis_core_community cc WHERE ST_Covers(cc.boundary, q.pt)"
            "   ORDER BY cc.id LIMIT 1) c ON true",
            [idx, lons, lats, bids])
        for i, bid, bcode, x, y, ccode in cur.fetchall():
            result, row = pending[i]
            if ccode is None:
                row["error"] = _("位置不在任何社区范围内")
                continue
            row["building_id"], row["location"] = bid, Point(x, y, srid=4326)
            result.building, result.community = bcode or "", ccode


@transaction.atomic
def _store(rows: list[dict], now: datetime) -> None:
    from gis_core.assign import assign_points

    made = Incident.objects.bulk_create(
        Incident(occurred_at=r["occurred_at"], category=r["category"], place=r["place"], location=r["location"],
                 building_id=r["building_id"], source_id=r["source_id"], imported_at=now) for r in rows)
    assign_points(Incident, [m.pk for m in made], set_community=True)

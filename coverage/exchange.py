"""Camera import/export as CSV or JSON with the fields of GB/T 28181 catalogues and ONVIF.

| column | meaning | source |
|---|---|---|
| DeviceID | 20-digit device code | GB/T 28181 |
| Name | name | GB/T 28181 |
| Longitude, Latitude | WGS 84 / CGCS2000 degrees | GB/T 28181, ONVIF GeoLocation |
| Elevation | mounting height above ground, m | ONVIF GeoLocation (relative here) |
| Yaw | heading, degrees clockwise from north | ONVIF GeoOrientation |
| Pitch | degrees, negative = looking down (our tilt is −Pitch) | ONVIF GeoOrientation |
| Roll | degrees (always 0 here) | ONVIF GeoOrientation |
| PTZType | 1 dome, 2 half-dome, 3 fixed bullet, 4 remote-control bullet | GB/T 28181 |
| Resolution | "1920x1080" | GB/T 28181 |
| HFOV, VFOV, FocalLength, SensorWidth, ZoomMax | optics; HFOV or FocalLength + SensorWidth | ONVIF imaging / lens |
| Range | maximum distance, m | |
| Status | ON / OFF | GB/T 28181 |
| CivilCode | 12-digit community code | GB/T 28181 (行政区域) |

Import is all-or-nothing: every row is validated (model validators and constraints) and any
error aborts with the list of row numbers and messages; nothing is stored then. Rows update the
camera with the same DeviceID or create one. Views and coverage are recomputed once at the end.
"""

from __future__ import annotations

import csv
import io
import json
import re

from gis_core import csvexport
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gis_core.errors import BadRequest, Unprocessable
from gis_core.models import Camera, Community

COLUMNS = ["DeviceID", "Name", "Longitude", "Latitude", "Elevation", "Yaw", "Pitch", "Roll", "PTZType",
           "Resolution", "HFOV", "VFOV", "FocalLength", "SensorWidth", "ZoomMax", "Range", "Status", "CivilCode"]


class ImportError_(Unprocessable):
    """Nothing was imported; `errors` lists every bad row (the body's `errors` field)."""

    def __init__(self, errors: list[str]):
        super().__init__(_("未导入任何摄像机"), errors=errors)
        self.errors = errors


def row_of(c: Camera) -> dict:
    return {
        "DeviceID": c.code, "Name": c.name, "Longitude": round(c.location.x, 7), "Latitude": round(c.location.y, 7),
        "Elevation": c.mount_height_m, "Yaw": c.heading_deg, "Pitch": -c.tilt_deg, "Roll": 0,
        "PTZType": c.ptz_type, "Resolution": f"{c.resolution_h}x{c.resolution_v}", "HFOV": c.hfov_deg,
        "VFOV": c.vfov_deg, "FocalLength": c.focal_length_mm, "SensorWidth": c.sensor_width_mm,
        "ZoomMax": c.ptz_zoom_max, "Range": c.range_m, "Status": "ON" if c.active else "OFF",
        "CivilCode": c.community.code,
    }


def export(cameras, fmt: str) -> str:
    rows = [row_of(c) for c in cameras.select_related("community").order_by("code")]
    if fmt == "json":
        return json.dumps({"cameras": rows}, ensure_ascii=False, indent=1)
    out = io.StringIO()
    w = csvexport.dict_writer(out, COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if v is None else v for k, v in r.items()})
    return out.getvalue()


def parse(text: str, fmt: str) -> list[dict]:
    if "\x00" in text:  # no valid CSV or JSON has one, and PostgreSQL text cannot hold it
        raise BadRequest(_("文件中含有空字符（NUL）"))
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ImportError_([f"not valid JSON: {e}"]) from None
        except RecursionError:
            raise BadRequest(_("JSON 嵌套过深")) from None
        rows = data.get("cameras") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ImportError_(['JSON must be {"cameras": [{...}, …]} or a list of objects'])
        return rows
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        missing = {"DeviceID", "Longitude", "Latitude"} - set(reader.fieldnames or [])
        if missing:
            raise ImportError_([f"missing columns: {', '.join(sorted(missing))}; expected {', '.join(COLUMNS)}"])
        return list(reader)
    except csv.Error as e:
        raise ImportError_([f"not valid CSV: {e}"]) from None


def _num(v, name, errors, n, required=False):
    if v is None or v == "":
        if required:
            errors.append(f"row {n}: {name} is required")
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        errors.append(f"row {n}: {name} must be a number, not {v!r}")
        return None


def import_rows(rows: list[dict]) -> dict:
    """Validate every row, then store all of them (or none). Returns counts."""
    from coverage import signals

    errors, cameras, seen = [], [], set()
    communities = {c.code: c for c in Community.objects.all()}
    for n, r in enumerate(rows, start=1):
        code = str(r.get("DeviceID") or "").strip()
        if not code:
            errors.append(f"row {n}: DeviceID is required")
            continue
        if code in seen:
            errors.append(f"row {n}: DeviceID {code} appears twice")
        seen.add(code)
        lon, lat = _num(r.get("Longitude"), "Longitude", errors, n, True), _num(r.get("Latitude"), "Latitude", errors, n, True)
        cam = Camera.objects.filter(code=code).first() or Camera(code=code)
        if lon is not None and lat is not None:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                errors.append(f"row {n}: Longitude/Latitude out of range")
                continue
            cam.location = Point(lon, lat, srid=4326)
        civil = str(r.get("CivilCode") or "").strip()
        if civil:
            if civil not in communities:
                errors.append(f"row {n}: no community with CivilCode {civil}")
                continue
            cam.community = communities[civil]
        elif cam.community_id is None:
            community = Community.objects.containing(cam.location).first() if cam.location else None
            if community is None:
                if cam.location is not None:
                    errors.append(f"row {n}: the position lies in no community and CivilCode is empty")
                continue
            cam.community = community
        cam.name = str(r.get("Name") or cam.name or code)
        for col, attr in (("Elevation", "mount_height_m"), ("Yaw", "heading_deg"), ("HFOV", "hfov_deg"),
                          ("VFOV", "vfov_deg"), ("FocalLength", "focal_length_mm"), ("SensorWidth", "sensor_width_mm"),
                          ("ZoomMax", "ptz_zoom_max"), ("Range", "range_m")):
            if col in r:
                setattr(cam, attr, _num(r[col], col, errors, n))
        if "Pitch" in r and (p := _num(r["Pitch"], "Pitch", errors, n)) is not None:
            cam.tilt_deg = -p
        if r.get("PTZType") not in (None, ""):
            try:
                cam.ptz_type = int(float(r["PTZType"]))
            except (TypeError, ValueError):
                errors.append(f"row {n}: PTZType must be 1–4")
        if res := str(r.get("Resolution") or "").strip():
            m = re.fullmatch(r"(\d+)\s*[x×*]\s*(\d+)", res)
            if not m:
                errors.append(f"row {n}: Resolution must look like 1920x1080, not {res!r}")
            else:
                cam.resolution_h, cam.resolution_v = int(m[1]), int(m[2])
        status = str(r.get("Status") or "ON").strip().upper()
        if status not in ("ON", "OFF"):
            errors.append(f"row {n}: Status must be ON or OFF")
        cam.active = status == "ON"
        if cam.mount_height_m is None:
            errors.append(f"row {n}: Elevation (mounting height) is required")
            continue
        if cam.heading_deg is None:
            cam.heading_deg = 0.0
        try:
            cam.full_clean(validate_unique=False)
        except ValidationError as e:
            for field, msgs in e.message_dict.items():
                errors.extend(f"row {n}: {field}: {m}" for m in msgs)
        cameras.append(cam)
    if errors:
        raise ImportError_(errors)
    created = sum(1 for c in cameras if c.pk is None)
    with transaction.atomic(), signals.deferred() as touched:
        for cam in cameras:
            cam.save()
            touched.add(cam.pk)
    return {"created": created, "updated": len(cameras) - created}

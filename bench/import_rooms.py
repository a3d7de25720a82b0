#!/usr/bin/env python
"""Benchmark: bringing a community in — rooms from a register, boundaries from a vector file.

    make bench-import            # or: .venv/bin/python bench/import_rooms.py [--rooms 30000] [--big 100000]

Database: `bench_import` (created and migrated on first use, emptied on every run) in the local
cluster. One synthetic community of 1,000 buildings (40 × 25, 12 × 12 m footprints, 6 floors)
and registers of `--rooms` rows (5 rooms per floor, addresses in the register's own spelling with
full-width digits and 栋/幢 variants for a third of the rows, so matching by address is measured
too). Measured, in-process through `onboarding.rooms.import_rooms` (reading, parsing, matching,
landlords, COPY + INSERT … ON CONFLICT, room layouts, tile invalidation):

* `xlsx, first import`: every room created;
* `csv (GB18030), re-import`: the same rooms from a CSV in Chinese Excel's encoding, all unchanged;
* `csv (GB18030), 10 % changed`: rents of every tenth room changed → updated in place;
* `--big N`: a CSV of N rows (N/30 buildings added for it), to state the 1,000,000-row figure by
  extrapolation from a measured size (the run is bounded: N = 100,000 takes ~1–2 minutes here);
* boundaries: one GeoJSON of 1 community, 40 grids (8 × 5) and 160 meshes, through
  `onboarding.boundaries.import_boundaries` with the planner's checks on every feature: features/s.

Target: 30,000 rooms in < 60 s. Writes bench/results/import.json and .md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tiles"))
sys.path.insert(0, str(HERE.parent))

from common import RESULTS, base_env, libpq, log, psql, with_database  # noqa: E402

DATABASE = "bench_import"
COMMUNITY = "530112900001"
ORIGIN = (102.70, 25.05)
COLS, ROWS_B, PITCH, SIZE, FLOORS, PER_FLOOR = 40, 25, 16.0, 12.0, 6, 5


def setup_database(env) -> str:
    import subprocess

    url = with_database(env["DATABASE_URL"], DATABASE)
    admin = with_database(env["DATABASE_URL"], "postgres")
    if psql(admin, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":
        log(f"creating database {DATABASE}")
        psql(admin, f'CREATE DATABASE "{DATABASE}"')
        psql(url, "CREATE EXTENSION IF NOT EXISTS postgis")
    subprocess.run([sys.executable, str(HERE.parent / "manage.py"), "migrate", "--noinput", "-v", "0"],
                   env={**env, "DATABASE_URL": url}, check=True)
    return url


def django_setup(url, env) -> None:
    os.environ.update({**env, "DATABASE_URL": url})
    # The 3D rebuild an import asks for runs in the server's builder thread, not in the import:
    # keep it from competing for the two cores while the import is timed.
    os.environ["MODEL3D_BACKGROUND"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()


def metres(x, y):
    from gis_core.spatial import local_transformers

    fwd, inv = local_transformers(ORIGIN[0])
    ox, oy = fwd.transform(*ORIGIN)
    return inv.transform(ox + x, oy + y)


def rect(x0, y0, x1, y1):
    return [[list(metres(x0, y0)), list(metres(x1, y0)), list(metres(x1, y1)), list(metres(x0, y1)),
             list(metres(x0, y0))]]


def reset(n_buildings: int) -> list[tuple[str, str]]:
    """Empty the database's data and create the community and its buildings; returns (code, address)."""
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection

    from buildings.models import Building
    from gis_core.models import Community

    with connection.cursor() as cur:
        cur.execute("TRUNCATE buildings_room, buildings_building, buildings_landlord, gis_core_grid,"
                    " gis_core_community, planner_gridversion CASCADE")
    cols = COLS
    rows = -(-n_buildings // cols)
    width, height = cols * PITCH + 40, rows * PITCH + 40
    boundary = MultiPolygon(Polygon(rect(-20, -20, width - 20, height - 20)[0], srid=4326), srid=4326)
    community = Community.objects.create(code=COMMUNITY, name="基准社区", boundary=boundary)
    buildings = []
    for i in range(n_buildings):
        x, y = (i % cols) * PITCH, (i // cols) * PITCH
        buildings.append(Building(community=community, code=f"BM-{i + 1:05d}", address=f"基准路{i + 1}号",
                                  footprint=Polygon(rect(x, y, x + SIZE, y + SIZE)[0], srid=4326), floors=FLOORS))
    Building.objects.bulk_create(buildings, batch_size=2000)
    return [(b.code, b.address) for b in buildings]


FULL = str.maketrans("0123456789", "０１２３４５６７８９")
HEADER = ["序号", "楼栋编号", "房屋地址", "楼层", "房号", "面积(㎡)", "月租金(元)", "可住人数", "房屋状态",
          "房东姓名", "房东联系电话", "是否同意公开电话", "同意日期", "同意方式"]


def register_rows(buildings, n_rooms: int, *, rent_bump: int = 0):
    per_building = FLOORS * PER_FLOOR
    out = []
    for i in range(n_rooms):
        b, k = divmod(i, per_building)
        code, address = buildings[b]
        floor, r = divmod(k, PER_FLOOR)
        floor += 1
        by_address = b % 3 == 0  # a third of the register names the building by address only
        spelled = address.translate(FULL).replace("号", "栋" if b % 2 else "幢") if by_address else ""
        rent = 600 + (i % 7) * 50 + (rent_bump if i % 10 == 0 else 0)
        landlord = b // 4  # a landlord owns four buildings
        out.append([i + 1, "" if by_address else code, spelled, floor, f"{floor}{r + 1:02d}", 12 + (i % 9),
                    rent, 2, "空置", f"房东{landlord}", f"139{landlord:08d}", "是" if landlord % 2 else "否",
                    "2024-03-01" if landlord % 2 else "", "纸质" if landlord % 2 else ""])
    return out


def write_xlsx(path, rows):
    import openpyxl

    # Not write-only: like Excel, the normal mode records the sheet's dimension, which readers use.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "登记表"
    sheet.append(["基准社区出租房屋登记表"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_csv(path, rows, encoding="gb18030"):
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)


def timed(label, fn, rows):
    from onboarding.rooms import RoomOptions, import_rooms

    started = time.monotonic()
    report = fn(import_rooms, RoomOptions)
    elapsed = time.monotonic() - started
    counts = {str(k): v for k, v in report.counts().items() if v}
    log(f"{label}: {rows:,} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s {counts}")
    return {"case": label, "rows": rows, "seconds": round(elapsed, 2), "rows_per_s": round(rows / elapsed),
            "counts": counts}


def boundaries_case(tmp: Path) -> dict:
    from onboarding.boundaries import BoundaryOptions, import_boundaries

    features = []
    gw, gh = COLS * PITCH / 8, 25 * PITCH / 5
    features.append({"type": "Feature", "properties": {"社区代码": COMMUNITY, "社区名称": "基准社区"},
                     "geometry": {"type": "Polygon", "coordinates": rect(-20, -20, COLS * PITCH + 20, 25 * PITCH + 20)}})
    for gx in range(8):
        for gy in range(5):
            x0, y0 = -20 + gx * (gw + 40 / 8), -20 + gy * (gh + 40 / 5)
            x1, y1 = x0 + gw + 40 / 8, y0 + gh + 40 / 5
            features.append({"type": "Feature", "properties": {"层级": "网格", "名称": f"网格{gx}-{gy}"},
                             "geometry": {"type": "Polygon", "coordinates": rect(x0, y0, x1, y1)}})
            for mx in range(2):
                for my in range(2):
                    mw, mh = (x1 - x0) / 2, (y1 - y0) / 2
                    features.append({"type": "Feature", "properties": {"层级": "网眼"}, "geometry": {
                        "type": "Polygon", "coordinates": rect(x0 + mx * mw, y0 + my * mh, x0 + (mx + 1) * mw,
                                                               y0 + (my + 1) * mh)}})
    path = tmp / "tree.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    started = time.monotonic()
    report = import_boundaries(path, BoundaryOptions(code_prefix=COMMUNITY[:9]))
    elapsed = time.monotonic() - started
    counts = {str(k): v for k, v in report.counts().items() if v}
    log(f"boundaries: {len(features)} features in {elapsed:.1f} s = {len(features) / elapsed:.1f} features/s {counts}")
    return {"case": "boundaries (1 community, 40 grids, 160 meshes)", "features": len(features),
            "seconds": round(elapsed, 2), "features_per_s": round(len(features) / elapsed, 1), "counts": counts}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=30_000)
    parser.add_argument("--big", type=int, default=0, help="also import a CSV of this many rows (for the 1M figure)")
    args = parser.parse_args()
    env = base_env()
    url = setup_database(env)
    django_setup(url, env)
    results = []
    n_buildings = -(-args.rooms // (FLOORS * PER_FLOOR))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        tmp = Path(tmp)
        buildings = reset(n_buildings)
        rows = register_rows(buildings, args.rooms)
        write_xlsx(tmp / "r.xlsx", rows)
        write_csv(tmp / "r.csv", rows)
        write_csv(tmp / "r2.csv", register_rows(buildings, args.rooms, rent_bump=100))
        results.append(timed("xlsx, first import", lambda f, O: f(tmp / "r.xlsx", O()), args.rooms))
        results.append(timed("csv (GB18030), re-import", lambda f, O: f(tmp / "r.csv", O()), args.rooms))
        results.append(timed("csv (GB18030), 10 % changed", lambda f, O: f(tmp / "r2.csv", O()), args.rooms))
        results.append(boundaries_case(tmp))
        if args.big:
            big_buildings = reset(-(-args.big // (FLOORS * PER_FLOOR)))
            write_csv(tmp / "big.csv", register_rows(big_buildings, args.big))
            results.append(timed(f"csv (GB18030), {args.big:,} rows, first import",
                                 lambda f, O: f(tmp / "big.csv", O()), args.big))
    write_results(results, args)


def write_results(results, args):
    first = results[0]
    big = next((r for r in results if r["case"].endswith("first import") and r is not first), None)
    basis = big or first
    per_million = 1_000_000 / basis["rows_per_s"]
    data = {"machine": f"{os.cpu_count()} cores, {platform.python_version()}", "date": time.strftime("%Y-%m-%d"),
            "results": results, "one_million_rows_s_extrapolated": round(per_million),
            "extrapolated_from": basis["case"]}
    (RESULTS / "import.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    lines = [
        "# Bringing a community in: import speed", "",
        f"`make bench-import` ({data['date']}, {data['machine']}; in-process, local PostgreSQL). "
        "Method: bench/import_rooms.py.", "",
        "| case | rows / features | seconds | rate |", "|---|---:|---:|---:|",
    ]
    for r in results:
        if "rows" in r:
            lines.append(f"| rooms: {r['case']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_s']:,} rows/s |")
        else:
            lines.append(f"| {r['case']} | {r['features']} | {r['seconds']} | {r['features_per_s']} features/s |")
    lines += ["", f"Target: 30,000 rooms in < 60 s — {'met' if first['seconds'] < 60 else 'NOT met'} "
              f"({first['seconds']} s for {first['rows']:,} rows).", "",
              f"1,000,000 rooms from CSV: **≈{per_million / 60:.0f} min, extrapolated** linearly from the measured "
              f"case \"{basis['case']}\" ({basis['rows_per_s']:,} rows/s); not measured at that size. The import holds "
              "the parsed rows in memory (a few hundred bytes each) and writes them in one transaction."]
    (RESULTS / "import.md").write_text("\n".join(lines) + "\n")
    log(f"wrote {RESULTS / 'import.md'}")


if __name__ == "__main__":
    main()

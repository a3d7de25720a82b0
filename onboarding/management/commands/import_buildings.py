"""Import building footprints from a local vector file (a thin wrapper over onboarding.footprints).

    manage.py import_buildings survey.gpkg --layer footprints --floors-field 层数
    manage.py import_buildings extract.osm.pbf --dry-run --report report.csv
    manage.py import_buildings gk.shp --srid 4543          # a shapefile without .prj, in CGCS2000 GK CM 102E
"""

from argparse import BooleanOptionalAction

from django.core.management.base import BaseCommand, CommandError

from onboarding.footprints import Action, ImportFailed, ImportOptions, ImportReport, import_buildings

# Rows printed at normal verbosity; the CSV report (--report) or -v 2 has them all.
PRINTED_ROWS = 50


class Command(BaseCommand):
    help = ("导入楼栋轮廓 / Import building footprints from a local Shapefile, GeoPackage, GeoJSON or OSM file; "
            "re-importing the same source updates buildings in place.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="local file (.shp, .zip of a shapefile, .gpkg, .geojson, .osm, .pbf …)")
        parser.add_argument("--layer", help="layer name (default: the only layer; multipolygons for OSM)")
        parser.add_argument("--srid", type=int, help="EPSG code of the coordinates, for sources without a CRS "
                                                     "(or with a wrong one), e.g. 4490 or 4543")
        parser.add_argument("--source", help="provenance name (default: osm for OSM files, else the file name)")
        parser.add_argument("--id-field", help="attribute holding a stable feature id")
        parser.add_argument("--floors-field", help="attribute holding the number of floors")
        parser.add_argument("--height-field", help="attribute holding the height in metres")
        parser.add_argument("--address-field", help="attribute holding the address")
        parser.add_argument("--name-field", help="attribute holding a building name (appended to the address)")
        parser.add_argument("--default-floors", type=int, default=1, metavar="N",
                            help="floors when neither floors nor height is known (default 1)")
        parser.add_argument("--floor-height", type=float, default=3.0, metavar="M",
                            help="metres per floor, to derive floors from height (default 3.0)")
        parser.add_argument("--repair", action=BooleanOptionalAction, default=True,
                            help="repair invalid geometries (default) or, with --no-repair, reject them")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        parser.add_argument("--report", metavar="FILE.csv", help="write one row per feature to this CSV file")

    def handle(self, *args, path, report, verbosity, **opts):
        try:
            options = ImportOptions(
                layer=opts["layer"], srid=opts["srid"], source=opts["source"], id_field=opts["id_field"],
                floors_field=opts["floors_field"], height_field=opts["height_field"],
                address_field=opts["address_field"], name_field=opts["name_field"],
                default_floors=opts["default_floors"], floor_height=opts["floor_height"],
                repair=opts["repair"], dry_run=opts["dry_run"],
            )
            result = import_buildings(path, options)
        except ImportFailed as exc:
            if exc.report is not None:
                self._print_rows(exc.report, verbosity)
                self._write_report(exc.report, report)
            raise CommandError(str(exc)) from exc
        self._print_rows(result, verbosity)
        self._write_report(result, report)
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _print_rows(self, result: ImportReport, verbosity: int) -> None:
        """Print the rows that need a look: rejected, repaired, or imported with a warning."""
        notable = [row for row in result.rows if row.action is Action.REJECTED or row.reason]
        shown = notable if verbosity > 1 else notable[:PRINTED_ROWS]
        for row in shown:
            line = f"#{row.feature} {row.source_id} {row.action.label}: {row.reason}"
            self.stdout.write(self.style.WARNING(line) if row.action is Action.REJECTED else line)
        if len(shown) < len(notable):
            self.stdout.write(f"… {len(notable) - len(shown)} more; see --report FILE.csv or -v 2")

    def _write_report(self, result: ImportReport, path: str | None) -> None:
        if not path:
            return
        # utf-8-sig: Excel, which planners open the report with, needs the BOM to read Chinese text.
        with open(path, "w", newline="", encoding="utf-8-sig") as stream:
            result.write_csv(stream)
        self.stdout.write(f"report: {path}")

"""Import building footprints from a local vector file (a thin wrapper over onboarding.footprints).

    manage.py import_buildings survey.gpkg --layer footprints --floors-field 层数
    manage.py import_buildings extract.osm.pbf --dry-run --report report.csv
    manage.py import_buildings gk.shp --srid 4543          # a shapefile without .prj, in CGCS2000 GK CM 102E
"""

from argparse import BooleanOptionalAction

from django.core.management.base import BaseCommand

from onboarding.footprints import ImportOptions, import_buildings
from onboarding.management.reporting import run_import


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
        parser.add_argument("--code-field", help="attribute holding the building code: update buildings by code "
                                                 "(re-importing an export), new ones keep the file's code")
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
        def run():
            return import_buildings(path, ImportOptions(
                layer=opts["layer"], srid=opts["srid"], source=opts["source"], id_field=opts["id_field"],
                code_field=opts["code_field"], floors_field=opts["floors_field"], height_field=opts["height_field"],
                address_field=opts["address_field"], name_field=opts["name_field"],
                default_floors=opts["default_floors"], floor_height=opts["floor_height"],
                repair=opts["repair"], dry_run=opts["dry_run"],
            ))

        run_import(self, run, report_path=report, verbosity=verbosity)

"""Import community, grid and mesh boundaries from a local vector file (onboarding.boundaries).

    manage.py import_boundaries communities.shp --srid 4490 --level community
    manage.py import_boundaries grids.zip --srid 4543 --level grid --dry-run --report grids.csv
    manage.py import_boundaries tree.gpkg                      # every layer; level from the codes
    manage.py import_boundaries village.osm.pbf --level community --code-prefix 530112001
"""

from argparse import BooleanOptionalAction

from django.core.management.base import BaseCommand

from onboarding.boundaries import import_boundaries
from onboarding.boundaries.options import LEVELS, BoundaryOptions
from onboarding.management.reporting import run_import


class Command(BaseCommand):
    help = ("导入社区、网格、网眼边界 / Import community, grid and mesh boundaries from a local Shapefile (or zip), "
            "GeoPackage, GeoJSON, KML, DXF or OSM file; re-importing updates by code.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="local file (.shp, .zip, .gpkg, .geojson, .kml, .dxf, .osm, .pbf …)")
        parser.add_argument("--layer", action="append", default=[], dest="layers",
                            help="layer to read (repeatable; default: every layer, multipolygons for OSM)")
        parser.add_argument("--srid", type=int, help="EPSG code for sources without a CRS, e.g. 4490, 4543 or 4522")
        parser.add_argument("--level", choices=LEVELS,
                            help="what the features are (default: a level field, else the length of the code)")
        for name, what in (("code", "the 12/15/18-digit code"), ("name", "the name"),
                           ("parent", "the parent's code (else the parent is found spatially)"),
                           ("kind", "the grid kind (围院式/楼栋/基础)"), ("person", "the responsible person"),
                           ("phone", "the responsible person's phone"), ("valid-from", "the date it is valid from"),
                           ("level", "the level (社区/网格/网眼 or community/grid/mesh)")):
            parser.add_argument(f"--{name}-field", help=f"attribute holding {what}")
        parser.add_argument("--select", action="append", default=[], metavar="FIELD=VALUE",
                            help="import only features with this attribute value (repeatable)")
        parser.add_argument("--code-prefix", metavar="DIGITS",
                            help="9-digit county + street code, to number communities that have no code")
        parser.add_argument("--repair", action=BooleanOptionalAction, default=False,
                            help="repair invalid boundaries (default: reject them)")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--report", metavar="FILE.csv", help="write one row per feature to this CSV file")

    def handle(self, *args, path, report, verbosity, **opts):
        def run():
            return import_boundaries(path, BoundaryOptions(
                layers=tuple(opts["layers"]), srid=opts["srid"], level=opts["level"],
                code_field=opts["code_field"], name_field=opts["name_field"], parent_field=opts["parent_field"],
                kind_field=opts["kind_field"], person_field=opts["person_field"],
                phone_field=opts["phone_field"], valid_from_field=opts["valid_from_field"],
                level_field=opts["level_field"], select=tuple(opts["select"]), code_prefix=opts["code_prefix"],
                repair=opts["repair"], dry_run=opts["dry_run"],
            ))

        run_import(self, run, report_path=report, verbosity=verbosity)

"""Load a survey office's CAD/GIS layers into the basemap (see basemap/survey/).

    manage.py import_survey roads.zip --layer roads --srid 4543 --field name=NAME --field class=KIND
    manage.py import_survey walls.geojson --layer walls --dry-run --report walls.csv
    manage.py import_survey 测绘.dxf --srid 4543 --dxf-layer 道路=roads --dxf-layer 围墙=walls --dxf-layer 院门=gates
    manage.py import_survey --remove 测绘            # remove the survey "测绘" again

A re-import under the same name (default: the file's stem) replaces exactly that survey's features.
"""

from django.core.management.base import BaseCommand, CommandError

from basemap.services import remove_extract
from basemap.survey import KINDS, ROLES, SurveyOptions, extract_name, import_survey
from onboarding.errors import ImportFailed
from onboarding.management.reporting import run_import


class Command(BaseCommand):
    help = ("导入测绘 CAD/GIS 图层（道路、步道、水系、围墙、院门、用地）到底图 / Import a survey's CAD/GIS layers "
            "(Shapefile or zip, GeoPackage, GeoJSON, KML, DXF) into the basemap; re-importing a survey replaces it.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="local file (.shp, .zip, .gpkg, .geojson, .kml, .dxf …)")
        parser.add_argument("--layer", choices=KINDS, help="what the features are (with --dxf-layer: the kind of "
                                                           "entities on CAD layers not mapped; default: skip them)")
        parser.add_argument("--srid", type=int, help="EPSG code for sources without a CRS, e.g. 4490, 4543 or 4522")
        parser.add_argument("--field", action="append", default=[], metavar="ROLE=FIELD",
                            help=f"attribute holding a role ({', '.join(ROLES)}), e.g. name=NAME class=KIND (repeatable)")
        parser.add_argument("--dxf-layer", action="append", default=[], metavar="CAD_LAYER=KIND",
                            help="map a DXF layer to a kind, e.g. 道路=roads 围墙=walls (repeatable)")
        parser.add_argument("--file-layer", help="the layer of a file that has several (default: the only one)")
        parser.add_argument("--name", help="the survey's name (default: the file's stem); re-importing a name replaces it")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--report", metavar="FILE.csv", help="write one row per feature to this CSV file")
        parser.add_argument("--remove", metavar="NAME", help="remove the survey NAME's features instead")

    def handle(self, *args, path, report, verbosity, remove, **opts):
        if remove:
            if not remove_extract(extract_name(remove)):
                raise CommandError(f"no survey named {remove!r}")
            self.stdout.write(self.style.SUCCESS(f"removed survey {remove}"))
            return
        if not path:
            raise CommandError("give a survey file (or --remove NAME)")
        try:
            options = SurveyOptions(layer=opts["layer"], srid=opts["srid"], fields=tuple(opts["field"]),
                                    dxf_layers=tuple(opts["dxf_layer"]), file_layer=opts["file_layer"],
                                    name=opts["name"], dry_run=opts["dry_run"])
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        run_import(self, lambda: import_survey(path, options), report_path=report, verbosity=verbosity)

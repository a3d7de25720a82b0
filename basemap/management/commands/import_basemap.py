"""Load an OpenStreetMap extract into the basemap (see basemap/importer.py).

    manage.py import_basemap kunming.osm.pbf              # extract named "kunming"
    manage.py import_basemap new.osm.pbf --name kunming   # replace the "kunming" extract
    manage.py import_basemap china.osm.pbf --name kunming --bbox 102.55,24.85,102.95,25.20   # a city of a country file
    manage.py import_basemap --remove kunming
"""

from django.core.management.base import BaseCommand, CommandError

from basemap import importer
from basemap.services import remove_extract
from gis_core.errors import DomainError


class Command(BaseCommand):
    help = "导入 OpenStreetMap 底图数据 / Import an OpenStreetMap extract into the offline basemap."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="an .osm.pbf (or .osm, .osm.bz2) extract")
        parser.add_argument("--name", help="extract name (default: the file name); re-importing a name replaces it")
        parser.add_argument("--cache", type=int, default=256, metavar="MB",
                            help="osm2pgsql node cache in MB (bounds its memory; default 256)")
        parser.add_argument("--bbox", metavar="W,S,E,N", help="only this box of the file (lon/lat degrees)")
        parser.add_argument("--remove", metavar="NAME", help="remove an extract's features instead")

    def handle(self, *args, path, name, cache, remove, bbox, **opts):
        if remove:
            if not remove_extract(remove):
                raise CommandError(f"no extract named {remove!r}")
            self.stdout.write(self.style.SUCCESS(f"removed {remove}"))
            return
        if not path:
            raise CommandError("give an extract file (or --remove NAME)")
        if cache < 32:
            raise CommandError("--cache must be at least 32 MB")
        box = None
        if bbox:
            try:
                box = tuple(float(v) for v in bbox.split(","))
            except ValueError:
                box = ()
            if len(box) != 4 or not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
                raise CommandError("--bbox must be west,south,east,north in degrees, west < east, south < north")
        try:
            extract = importer.import_extract(path, name=name, cache_mb=cache, bbox=box,
                                              progress=lambda line: self.stdout.write(line))
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"extract {extract.name}: {extract.counts}"))

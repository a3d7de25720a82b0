"""Load an OpenStreetMap extract into the basemap (see basemap/importer.py).

    manage.py import_basemap kunming.osm.pbf              # extract named "kunming"
    manage.py import_basemap new.osm.pbf --name kunming   # replace the "kunming" extract
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
        parser.add_argument("--remove", metavar="NAME", help="remove an extract's features instead")

    def handle(self, *args, path, name, cache, remove, **opts):
        if remove:
            if not remove_extract(remove):
                raise CommandError(f"no extract named {remove!r}")
            self.stdout.write(self.style.SUCCESS(f"removed {remove}"))
            return
        if not path:
            raise CommandError("give an extract file (or --remove NAME)")
        if cache < 32:
            raise CommandError("--cache must be at least 32 MB")
        try:
            extract = importer.import_extract(path, name=name, cache_mb=cache,
                                              progress=lambda line: self.stdout.write(line))
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"extract {extract.name}: {extract.counts}"))

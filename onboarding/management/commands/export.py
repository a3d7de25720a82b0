"""Export layers and the room register (onboarding.exports).

    manage.py export community.gpkg --community 530112001001        # every layer, one GeoPackage
    manage.py export grids.gpkg --layers grids,meshes --srid 4543     # in CGCS2000 GK CM 102E
    manage.py export buildings.geojson --layers buildings
    manage.py export out/                                             # one .geojson per layer
    manage.py export rooms.xlsx --community 530112001001              # the register (also .csv)
"""

from django.core.management.base import BaseCommand, CommandError

from gis_core.errors import DomainError
from gis_core.models import Community
from onboarding.exports.layers import LAYERS
from onboarding.exports.write import export


class Command(BaseCommand):
    help = ("导出图层与登记表 / Export communities, grids, meshes, buildings, rooms, cameras and views as GeoPackage "
            "or GeoJSON, or the room register as XLSX or CSV. No tenant data is exported.")

    def add_arguments(self, parser):
        parser.add_argument("target", help="FILE.gpkg, FILE.geojson (one layer), a directory, or FILE.xlsx / FILE.csv")
        parser.add_argument("--layers", help=f"comma-separated, default all: {','.join(LAYERS)}")
        parser.add_argument("--community", action="append", default=[], metavar="CODE",
                            help="only this community (repeatable; default: all)")
        parser.add_argument("--srid", type=int, help="reproject the GeoPackage, e.g. 4490 or 4543 (default 4326)")

    def handle(self, *args, target, layers, community, srid, **opts):
        communities = None
        if community:
            found = dict(Community.objects.filter(code__in=community).values_list("code", "pk"))
            missing = sorted(set(community) - set(found))
            if missing:
                raise CommandError(f"no community with code {', '.join(missing)}")
            communities = list(found.values())
        try:
            counts = export(target, layers=[n.strip() for n in layers.split(",")] if layers else None,
                            communities=communities, srid=srid)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{name} {n}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{target}: {summary}"))

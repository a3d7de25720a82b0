from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuildingsConfig(AppConfig):
    name = "buildings"
    verbose_name = _("楼栋与房间")

    def ready(self):
        from buildings.layout import footprints_moved, rooms_redrawn
        from buildings.models import Building, Room
        from gis_core.changes import located_written

        located_written.connect(footprints_moved, sender=Building, dispatch_uid="buildings-relayout")
        located_written.connect(rooms_redrawn, sender=Room, dispatch_uid="buildings-relayout-rooms")

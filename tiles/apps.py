from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = _("矢量瓦片")

    def ready(self):
        from tiles import invalidation, reports

        invalidation.connect()
        reports.connect()  # the reports layer's mesh points (tiles/reports.py)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutesConfig(AppConfig):
    name = "routes"
    verbose_name = _("步行路线")

    def ready(self):
        from basemap.signals import extract_replaced
        from routes import network

        # Every basemap (re)load — an OSM import, a demo community — rebuilds that extract's
        # walking network in the same transaction.
        extract_replaced.connect(network.on_extract_replaced, dispatch_uid="routes-network")

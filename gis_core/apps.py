from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GisCoreConfig(AppConfig):
    name = "gis_core"
    verbose_name = _("社区与网格")

    def ready(self):
        from gis_core import changes

        changes.connect()  # deletes of located rows go through the change pipeline

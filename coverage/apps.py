from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    name = "coverage"
    verbose_name = _("视频覆盖")

    def ready(self):
        from coverage import signals

        signals.connect()

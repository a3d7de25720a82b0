from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreenConfig(AppConfig):
    name = "screen"
    verbose_name = _("服务大厅大屏")

    def ready(self):
        from screen import signals

        signals.connect()

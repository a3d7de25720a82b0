from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("群众上报")

    def ready(self):
        from reports import notify

        notify.connect()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliceConfig(AppConfig):
    name = "police"
    verbose_name = _("公安流动人口登记")

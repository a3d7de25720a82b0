from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LandlordsConfig(AppConfig):
    name = "landlords"
    verbose_name = _("房东自助")
    default_auto_field = "django.db.models.BigAutoField"

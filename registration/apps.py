from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    """Kiosk ID-card registration: kiosk credentials, nonces, operator sessions, readings."""

    name = "registration"
    verbose_name = _("终端机读卡登记")
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QrcodesConfig(AppConfig):
    name = "qrcodes"
    verbose_name = _("楼栋二维码")

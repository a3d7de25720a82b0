from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReplicasConfig(AppConfig):
    name = "replicas"
    verbose_name = _("只读副本")

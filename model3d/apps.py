from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Model3dConfig(AppConfig):
    name = "model3d"
    verbose_name = _("三维模型")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from model3d import signals  # noqa: F401  (rebuild after commits that change geometry)

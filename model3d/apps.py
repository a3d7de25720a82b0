from django.apps import AppConfig


class Model3dConfig(AppConfig):
    name = "model3d"
    verbose_name = "三维模型 / 3D model"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from model3d import signals  # noqa: F401  (rebuild after commits that change geometry)

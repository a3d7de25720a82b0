from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    """Bringing a real community in (boundaries, buildings, rooms) and taking every layer out."""

    name = "onboarding"
    verbose_name = _("导入与导出")

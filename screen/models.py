"""Wall displays in service halls: each bound to a community by a secret key in its address.

The key is shown once when issued and stored only as a SHA-256 digest (the server never needs it
back, unlike a kiosk's signing secret), so a leaked database does not open the screens. Revoking
is issuing a new key or switching the screen off.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gis_core.keys import OneTimeKeyMixin
from gis_core.models import Community


class Screen(OneTimeKeyMixin, models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("社区"))
    name = models.CharField(_("名称"), max_length=100, help_text=_("例如：服务大厅主屏"))
    key_digest = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("最近访问"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("大屏")
        verbose_name_plural = _("大屏")
        ordering = ["community__code", "name"]

    def __str__(self):
        return f"{self.name} ({self.community.code})"

    @classmethod
    def find(cls, community: Community, key: str | None):
        return cls.find_active(key, community=community)


class RegistrationCount(models.Model):
    """Tenancies registered per building and quarter hour, kept by statement-level triggers on
    residents_tenancy (migration 0002) whatever writes them — the kiosk, the admin, COPY. The
    screen sums a community's counts since local midnight and since Monday from this small table
    instead of searching the city's tenancies (quarter hours: every time zone's midnight is on one)."""

    community_id = models.BigIntegerField()
    building_id = models.BigIntegerField()
    quarter = models.DateTimeField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community_id", "quarter", "building_id"],
                                               name="screen_regcount_key")]

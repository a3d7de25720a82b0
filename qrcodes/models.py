"""Revoked door codes: kept so that a scan of an old plate explains itself instead of failing."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RevokedQrToken(models.Model):
    # Same length as Building.qr_token. Unique: a token is revoked once, and never reissued
    # (new tokens are 128 random bits, so a collision with an old one does not happen).
    token = models.CharField(_("令牌"), max_length=32, unique=True)
    # Only to point the resident to the right community's service hall and kiosks; the page for a
    # revoked token never shows this building's data.
    building = models.ForeignKey(
        "buildings.Building", on_delete=models.CASCADE, related_name="revoked_qr_tokens", verbose_name=_("楼栋"),
    )
    revoked_at = models.DateTimeField(_("停用时间"), default=timezone.now)
    reason = models.CharField(_("原因"), max_length=200)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("操作人"),
    )

    class Meta:
        verbose_name = _("已停用的二维码")
        verbose_name_plural = _("已停用的二维码")
        ordering = ["-revoked_at"]

    def __str__(self):
        return f"{self.building_id} {self.revoked_at:%Y-%m-%d}"

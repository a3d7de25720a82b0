"""API clients allowed to POST service requests, and what Open311 adds to a report it created.

An api_key is shown once when issued and stored only as a SHA-256 digest (like screen keys), so
a leaked database does not let anyone submit in a client's name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import Report, new_token


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    name = models.CharField(_("名称"), max_length=100, help_text=_("例如：市民热线 App"))
    contact = models.CharField(_("联系方式"), max_length=200, blank=True)
    key_digest = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = _("Open311 客户端")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def issue_key(self) -> str:
        """A new key (the old one stops working); returned once, stored as a digest."""
        key = secrets.token_urlsafe(24)
        self.key_digest = digest(key)
        return key

    @classmethod
    def find(cls, key: str | None) -> ApiClient | None:
        if not key or len(key) > 100:
            return None
        client = cls.objects.filter(key_digest=digest(key), active=True).first()
        return client if client and hmac.compare_digest(client.key_digest, digest(key)) else None


class ApiRequest(models.Model):
    """A report submitted through Open311: which client, the token it can look the id up with,
    and the media_url it gave (kept for staff, never fetched: no request leaves for another host)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="open311", verbose_name=_("上报"))
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="requests", verbose_name=_("客户端"))
    token = models.CharField(_("令牌"), max_length=32, unique=True, default=new_token, editable=False)
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Open311 上报")
        verbose_name_plural = _("Open311 上报")

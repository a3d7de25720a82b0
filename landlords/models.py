"""What the landlords' own pages (/my/) keep besides the rooms: one-time sign-in codes printed at the
service hall, and the history of consent to publish a phone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInCode(models.Model):
    """A one-time code a member of staff prints for a landlord at the service hall (no SMS here).

    Only a keyed digest is stored; the code is shown once, when it is issued. It signs in once,
    before it expires, through authenticate() (landlords/backends.py) — so the login lockout counts
    wrong codes exactly as it counts wrong passwords."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_codes",
                             verbose_name=_("房东账户"))
    digest = models.CharField(_("摘要"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"), editable=False)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", editable=False, verbose_name=_("签发人"))

    class Meta:
        verbose_name = _("一次性登录码")
        verbose_name_plural = _("一次性登录码")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "digest"], name="signincode_user_digest",
                                condition=models.Q(used_at__isnull=True))]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class ConsentEvent(models.Model):
    """Each time a landlord gave or withdrew consent to publish their phone: when, how, by whom."""

    class Method(models.TextChoices):
        KIOSK = "kiosk", _("终端机")
        ONLINE = "online", _("在线")

    landlord = models.ForeignKey("buildings.Landlord", on_delete=models.CASCADE, related_name="consent_events",
                                 verbose_name=_("房东"))
    given = models.BooleanField(_("同意公开"))
    method = models.CharField(_("方式"), max_length=12, choices=Method.choices)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))

    class Meta:
        verbose_name = _("电话公开同意记录")
        verbose_name_plural = _("电话公开同意记录")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.landlord} {'+' if self.given else '-'} {self.method} {self.at:%Y-%m-%d %H:%M}"

"""What the kiosk ID-card registration flow stores (the views and services live in kiosk/).

* KioskCredential — the kiosk's own secret for signing readings, sealed with the resident-data
  keys (the server must be able to recompute the HMAC, so it cannot be a one-way hash).
* KioskNonce — nonces seen inside the timestamp window: a replayed request is refused.
* KioskSession — the landlord or staff member signed in at the kiosk and the room they picked;
  a reading from the kiosk's reader links its card holder to that room.
* CardReading — one row per reading id (the agent's idempotency key) with its outcome: the same
  reading sent again gets the same answer and never a second tenancy.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from residents import crypto


class KioskCredential(models.Model):
    kiosk = models.OneToOneField("kiosk.Kiosk", on_delete=models.CASCADE, related_name="credential",
                                 verbose_name=_("终端机"))
    secret_sealed = models.BinaryField(_("密钥（密文）"))
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)

    class Meta:
        verbose_name = _("终端机凭据")
        verbose_name_plural = _("终端机凭据")

    @classmethod
    def issue(cls, kiosk) -> str:
        """A new secret for this kiosk (replacing any old one); returned once, stored sealed."""
        secret = secrets.token_urlsafe(32)
        cls.objects.update_or_create(kiosk=kiosk, defaults={
            "secret_sealed": crypto.seal("kiosk_secret", secret), "created_at": timezone.now()})
        return secret

    def secret(self) -> str:
        return crypto.open_text("kiosk_secret", self.secret_sealed)


class KioskNonce(models.Model):
    kiosk = models.ForeignKey("kiosk.Kiosk", on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kiosk", "nonce"], name="kiosk_nonce_once")]


class KioskSessionQuerySet(models.QuerySet):
    def live(self, now=None):
        return self.filter(ended_at__isnull=True, expires_at__gt=now or timezone.now())

    def armed(self, kiosk, now=None):
        """The session whose picked room the kiosk's next reading goes to (latest first)."""
        return self.live(now).filter(kiosk=kiosk, room__isnull=False).order_by("-armed_at")


class KioskSession(models.Model):
    kiosk = models.ForeignKey("kiosk.Kiosk", on_delete=models.CASCADE, related_name="sessions")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey("buildings.Room", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    armed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = KioskSessionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["kiosk", "-armed_at"], condition=Q(ended_at__isnull=True),
                                name="kiosk_session_open")]


class CardReading(models.Model):
    class Outcome(models.TextChoices):
        LINKED = "linked", _("已登记")
        ALREADY = "already", _("已登记过")
        REJECTED = "rejected", _("已拒绝")

    kiosk = models.ForeignKey("kiosk.Kiosk", on_delete=models.CASCADE, related_name="readings")
    reading_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    session = models.ForeignKey(KioskSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="readings")
    room = models.ForeignKey("buildings.Room", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tenancy = models.ForeignKey("residents.Tenancy", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)  # masked values only

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kiosk", "reading_id"], name="card_reading_once")]

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role  # noqa: F401  (re-exported: accounts.models.Role)


class StaffProfile(models.Model):
    """The scope of a staff account's roles: which landlord it is, which grids it serves."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile",
                                verbose_name=_("用户"))
    landlord = models.OneToOneField("buildings.Landlord", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="account", verbose_name=_("房东"),
                                    help_text=_("房东角色：此账户代表的房东 / for the landlord role"))
    grids = models.ManyToManyField("gis_core.Grid", blank=True, related_name="workers", verbose_name=_("负责网格"),
                                   help_text=_("网格员角色：负责的网格（含其网眼）/ for the grid-worker role"))

    pin_hash = models.CharField(_("终端机 PIN（哈希）"), max_length=128, blank=True, editable=False,
                                help_text=_("在终端机上登录用；用 manage.py set_kiosk_pin 设置"))

    pin_failures = models.PositiveSmallIntegerField(_("PIN 连续错误次数"), default=0, editable=False)
    pin_locked_until = models.DateTimeField(_("PIN 锁定至"), null=True, blank=True, editable=False)

    PIN_MAX_FAILURES = 5
    PIN_LOCK_MINUTES = 15

    class Meta:
        verbose_name = _("工作人员档案")
        verbose_name_plural = _("工作人员档案")

    def __str__(self):
        return str(self.user)

    def set_pin(self, pin: str) -> None:
        from django.contrib.auth.hashers import make_password

        if not (pin.isdigit() and 6 <= len(pin) <= 12):
            raise ValueError("a PIN is 6–12 digits")
        self.pin_hash = make_password(pin)

    def check_pin(self, pin: str) -> bool:
        """True for the right PIN. Five wrong PINs in a row lock PIN sign-in for 15 minutes
        (counted in the database, so every server process sees it)."""
        from datetime import timedelta

        from django.contrib.auth.hashers import check_password
        from django.utils import timezone

        now = timezone.now()
        if not self.pin_hash or (self.pin_locked_until and self.pin_locked_until > now):
            return False
        if check_password(pin, self.pin_hash):
            type(self).objects.filter(pk=self.pk).update(pin_failures=0, pin_locked_until=None)
            return True
        failures = self.pin_failures + 1
        locked = now + timedelta(minutes=self.PIN_LOCK_MINUTES) if failures >= self.PIN_MAX_FAILURES else None
        type(self).objects.filter(pk=self.pk).update(pin_failures=0 if locked else failures, pin_locked_until=locked)
        self.pin_failures, self.pin_locked_until = (0 if locked else failures), locked
        return False

    @property
    def pin_locked(self) -> bool:
        from django.utils import timezone

        return bool(self.pin_locked_until and self.pin_locked_until > timezone.now())

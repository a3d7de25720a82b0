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
                                    help_text=_("房东角色：此账户代表的房东"))
    grids = models.ManyToManyField("gis_core.Grid", blank=True, related_name="workers", verbose_name=_("负责网格"),
                                   help_text=_("网格员角色：负责的网格（含其网眼）"))

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
        """True for the right PIN. At most five guesses per 15 minutes, however many arrive at
        once: each guess first claims a slot in one UPDATE (the row lock orders concurrent guesses;
        the fifth claim locks PIN sign-in), and only a guess that got a slot is checked. The right
        PIN clears the count. Counted in the database, so every server process sees it."""
        from django.contrib.auth.hashers import check_password
        from django.db import connection

        if not self.pin_hash:
            return False
        table = connection.ops.quote_name(self._meta.db_table)
        with connection.cursor() as cur:
            cur.execute(
                f"""UPDATE {table} SET
                      pin_failures = CASE WHEN pin_locked_until IS NOT NULL THEN 1 ELSE pin_failures + 1 END,
                      pin_locked_until = CASE
                          WHEN (CASE WHEN pin_locked_until IS NOT NULL THEN 1 ELSE pin_failures + 1 END) >= %(max)s
                          THEN now() + make_interval(mins => %(minutes)s) END
                    WHERE id = %(id)s AND (pin_locked_until IS NULL OR pin_locked_until <= now())
                    RETURNING pin_failures, pin_locked_until""",
                {"id": self.pk, "max": self.PIN_MAX_FAILURES, "minutes": self.PIN_LOCK_MINUTES})
            claimed = cur.fetchone()
        if claimed is None:  # locked: this guess is not even checked
            self.refresh_from_db(fields=["pin_failures", "pin_locked_until"])
            return False
        self.pin_failures, self.pin_locked_until = claimed
        if check_password(pin, self.pin_hash):
            type(self).objects.filter(pk=self.pk).update(pin_failures=0, pin_locked_until=None)
            self.pin_failures, self.pin_locked_until = 0, None
            return True
        return False

    @property
    def pin_locked(self) -> bool:
        from django.utils import timezone

        return bool(self.pin_locked_until and self.pin_locked_until > timezone.now())

"""Tenants (persons) and their tenancies. Sensitive fields are sealed (residents/crypto.py).

Only masked values and keyed hashes are stored in the clear. Photos live in their own table,
apart from identity data (GB/T 35273 §6.3).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gis_core.rules import holding_tenancy_q, living_tenancy_q
from residents import crypto


class Person(models.Model):
    class Sex(models.TextChoices):
        MALE = "1", _("男")
        FEMALE = "2", _("女")

    # Sealed (AES-GCM) personal data — never read these columns directly; use the accessors.
    name_sealed = models.BinaryField(_("姓名（密文）"))
    id_number_sealed = models.BinaryField(_("身份证号（密文）"))
    address_sealed = models.BinaryField(_("户籍地址（密文）"), null=True, blank=True)
    phone_sealed = models.BinaryField(_("电话（密文）"), null=True, blank=True)
    # Blind index for de-duplication and look-up by ID number.
    id_number_index = models.BinaryField(_("身份证号索引"), max_length=32, unique=True)
    # What screens may show by default.
    name_masked = models.CharField(_("姓名（脱敏）"), max_length=20)
    id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=20)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    nation_code = models.CharField(_("民族代码"), max_length=2, blank=True)
    region_code = models.CharField(_("户籍地区码"), max_length=6, help_text=_("身份证前 6 位（GB/T 2260）"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("租户")
        verbose_name_plural = _("租户")

    def __str__(self):
        return f"{self.name_masked} {self.id_number_masked}"

    @classmethod
    def build(cls, *, name: str, id_number: str, sex: str, nation_code: str = "", address: str | None = None,
              phone: str | None = None) -> Person:
        """A new, unsaved person with every sensitive field sealed and masked."""
        id_number = id_number.strip().upper()
        return cls(
            name_sealed=crypto.seal("name", name),
            id_number_sealed=crypto.seal("id_number", id_number),
            address_sealed=crypto.seal("address", address),
            phone_sealed=crypto.seal("phone", phone),
            id_number_index=crypto.blind_index("id_number", id_number),
            name_masked=crypto.mask_name(name),
            id_number_masked=crypto.mask_id_number(id_number),
            sex=sex,
            nation_code=nation_code,
            region_code=id_number[:6],
        )

    @classmethod
    def find_by_id_number(cls, id_number: str):
        return cls.objects.filter(id_number_index__in=crypto.blind_indexes("id_number", id_number)).first()

    # Unsealing is a privileged act: callers (the police view) must audit it.
    def unseal_name(self) -> str:
        return crypto.open_text("name", self.name_sealed)

    def unseal_id_number(self) -> str:
        return crypto.open_text("id_number", self.id_number_sealed)


class PersonPhoto(models.Model):
    """The ID-card photo (already decoded by the reader, never WLT), sealed, kept apart."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="photo")
    image_sealed = models.BinaryField()
    content_type = models.CharField(max_length=30, default="image/bmp")

    class Meta:
        verbose_name = _("证件照片")
        verbose_name_plural = _("证件照片")


class TenancyQuerySet(models.QuerySet):
    def active(self, on=None):
        """Tenants living in their room on a day (gis_core/rules.py; statistics count the same in SQL)."""
        return self.filter(living_tenancy_q(on))

    def open(self):
        """Not checked out: the tenancies that hold their room (gis_core/rules.py; check-in counts
        the same in SQL) — the one rule for "a room is let", whatever the start date."""
        return self.filter(holding_tenancy_q())

    occupying = open

    def visible_to(self, user):
        """The tenancies a user may see (residents/scoping.py: police and administrators all,
        landlords their own buildings, grid workers their grids; planners and the public none)."""
        from residents.scoping import building_scope

        q = building_scope(user, read=True)
        return self.none() if q is None else self.filter(q.prefix("room__building"))

    # The police feed's vocabulary (idcard-privacy note: 3 days, 30 days, 6 months).
    def registered_since(self, since):
        return self.filter(registered_at__gte=since)

    def checked_out_since(self, since):
        return self.filter(end_date__gte=since)

    def in_grid(self, grid):
        """In a grid, or in a mesh when given one (as Building.objects.in_grid)."""
        level = "mesh" if grid.level == "mesh" else "grid"
        return self.filter(**{f"room__building__{level}": grid})

    def registered_late(self, days=3):
        return self.filter(registered_at__date__gt=F("start_date") + timedelta(days=days))

    def lease_unregistered(self, today=None, days=30):
        today = today or timezone.localdate()
        return self.open().filter(lease_registered_on__isnull=True, start_date__lt=today - timedelta(days=days))

    def past_six_months(self, today=None):
        return self.open().filter(start_date__lte=six_months_before(today or timezone.localdate()))

    def past_lease_end(self, today=None):
        """Still holding the room after the lease's end date: the tenant may have left without
        checking out (grid workers visit them)."""
        return self.open().filter(lease_ends_on__lt=today or timezone.localdate())


def six_months_before(day: date) -> date:
    month = day.month - 6
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError


class Tenancy(models.Model):
    class Via(models.TextChoices):
        KIOSK_CARD = "kiosk_card", _("终端机读卡")
        STAFF = "staff", _("工作人员录入")
        IMPORT = "import", _("批量导入")
        DEMO = "demo", _("演示数据")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("租户"))
    room = models.ForeignKey("buildings.Room", on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("房间"))
    start_date = models.DateField(_("入住日期"))
    end_date = models.DateField(_("退租日期"), null=True, blank=True)
    registered_via = models.CharField(_("登记方式"), max_length=12, choices=Via.choices)
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("登记人"),
    )
    kiosk = models.ForeignKey("kiosk.Kiosk", on_delete=models.PROTECT, null=True, blank=True, related_name="tenancies")
    lease_registered_on = models.DateField(
        _("租赁合同备案日期"), null=True, blank=True,
        help_text=_("向住房城乡建设部门备案的日期（须在 30 天内）"))
    lease_ends_on = models.DateField(
        _("租约到期日"), null=True, blank=True,
        help_text=_("租赁合同约定的到期日；过期仍未退租的由网格员上门核实"))

    objects = TenancyQuerySet.as_manager()

    class Meta:
        verbose_name = _("租住关系")
        verbose_name_plural = _("租住关系")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="tenancy_dates_ordered",
                violation_error_message=_("退租日期须晚于入住日期"),
            ),
            models.UniqueConstraint(
                fields=["person"], condition=holding_tenancy_q(), name="tenancy_one_open_per_person",
                violation_error_message=_("此人已有未结束的租住登记"),
            ),
        ]
        indexes = [
            models.Index(fields=["room"], condition=holding_tenancy_q(), name="tenancy_open_by_room"),
            # The police feed pages by keyset (police/feed.py): registrations in (registered_at, id)
            # order, check-outs in (end_date, id) order, either direction …
            models.Index(fields=["registered_at", "id"], name="tenancy_registered_keyset"),
            models.Index(fields=["end_date", "id"], condition=Q(end_date__isnull=False), name="tenancy_ended_keyset"),
            # … and open tenancies by move-in day (six months' residence, leases unregistered).
            models.Index(fields=["start_date", "id"], condition=holding_tenancy_q(), name="tenancy_open_start_keyset"),
        ]

    def __str__(self):
        return f"{self.person} @ {self.room_id}"

"""Resident reports from patrol QR points, the shifts and positions that dispatch reads, and
the time line of every report (发现、上报、派遣、处置、核查、结案)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gis_core.models import Community, Grid, Tracked
from gis_core.spatial import STORAGE_SRID, WEB_MERCATOR_SRID, mercator
from residents import crypto


def new_token() -> str:
    """128 random bits, URL-safe: a point or receipt code that cannot be guessed or enumerated."""
    return secrets.token_urlsafe(16)


class Located(Tracked):
    """Community, grid and mesh derived from `location` when it is placed or moved (gis_core/changes.py)."""

    location = models.PointField(_("位置"), srid=STORAGE_SRID)
    location_3857 = mercator("location", models.PointField(srid=WEB_MERCATOR_SRID))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+",
        verbose_name=_("社区"),
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+",
        verbose_name=_("所在网格"),
    )
    mesh = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+",
        verbose_name=_("所在网眼"),
    )

    class Meta:
        abstract = True


class PatrolPoint(Located):
    class Kind(models.TextChoices):
        GATE = "gate", _("出入口")
        ALLEY = "alley", _("巷道")
        STAIRWELL = "stairwell", _("楼梯间")
        BIN = "bin", _("垃圾收集点")
        RIVER_BANK = "river_bank", _("河岸")
        OTHER = "other", _("其他")

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    qr_token = models.CharField(_("二维码令牌"), max_length=32, unique=True, default=new_token, editable=False)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("巡查点")
        verbose_name_plural = _("巡查点")
        ordering = ["code"]
        indexes = [GistIndex(fields=["location_3857"], name="patrolpoint_l3857_gist")]

    def __str__(self):
        return f"{self.code} {self.name}"

    def revoke_qr_token(self) -> str:
        self.qr_token = new_token()
        super(Located, self).save(update_fields=["qr_token"])
        return self.qr_token


class Level(models.TextChoices):
    """Who holds a report now; escalation walks this order."""

    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")


class Stage(models.TextChoices):
    """The clocked stages: each has a deadline per category and level."""

    ACK = "ack", _("接单")
    ON_SITE = "on_site", _("到场")
    RESOLVE = "resolve", _("办结")


class Category(models.Model):
    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    sensitive = models.BooleanField(
        _("敏感"), default=False, help_text=_("公开地图和接口只显示到网眼，不显示具体位置"),
    )
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name

    def deadline(self, stage: str, level: str) -> timedelta | None:
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("deadlines")
        if prefetched is not None:  # prefetch_related("category__deadlines"): no query per stage
            row = next((d for d in prefetched if d.stage == stage and d.level == level), None)
        else:
            row = self.deadlines.filter(stage=stage, level=level).first()
        return None if row is None else timedelta(minutes=row.minutes)


class CategoryDeadline(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("类别"))
    stage = models.CharField(_("环节"), max_length=8, choices=Stage.choices)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    minutes = models.PositiveIntegerField(_("时限（分钟）"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("处置时限")
        verbose_name_plural = _("处置时限")
        constraints = [models.UniqueConstraint(fields=["category", "stage", "level"], name="deadline_unique")]

    def __str__(self):
        return f"{self.category} {self.get_stage_display()} {self.get_level_display()} {self.minutes}"


class Report(Located):
    class Status(models.TextChoices):
        NEW = "new", _("待派遣")
        OFFERED = "offered", _("已派单")
        ACCEPTED = "accepted", _("已接单")
        ON_THE_WAY = "on_the_way", _("在途")
        ON_SITE = "on_site", _("已到场")
        RESOLVED = "resolved", _("已办结")
        UNRESOLVABLE = "unresolvable", _("无法办结")
        CLOSED = "closed", _("已结案")
        DUPLICATE = "duplicate", _("重复")

    OPEN = (Status.NEW, Status.OFFERED, Status.ACCEPTED, Status.ON_THE_WAY, Status.ON_SITE)

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports", verbose_name=_("类别"))
    point = models.ForeignKey(
        PatrolPoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name=_("巡查点"),
    )
    building = models.ForeignKey(
        "buildings.Building", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports",
        verbose_name=_("楼栋"),
    )
    description = models.CharField(_("描述"), max_length=500)
    # Callback phone: sealed like tenants' data, never shown on a public page.
    phone_sealed = models.BinaryField(_("回访电话（密文）"), null=True, blank=True, editable=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NEW)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, default=Level.GRID)
    # When the current level took the report: its deadlines run from here.
    level_since = models.DateTimeField(_("本层级起始"), default=timezone.now, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("处置人"),
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates", verbose_name=_("重复于"),
    )
    receipt_token = models.CharField(_("回执令牌"), max_length=32, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("上报时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    acknowledged_at = models.DateTimeField(_("接单时间"), null=True, blank=True, editable=False)
    on_site_at = models.DateTimeField(_("到场时间"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True, editable=False)
    # Bumped on every state change: a timer job only acts if the version it was scheduled for
    # is still current (checked under a row lock), which makes each timer fire at most once.
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        verbose_name = _("群众上报")
        verbose_name_plural = _("群众上报")
        ordering = ["-created_at"]
        indexes = [
            GistIndex(fields=["location_3857"], name="report_l3857_gist"),
            models.Index(fields=["status", "category"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.category} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def set_phone(self, phone: str | None) -> None:
        self.phone_sealed = crypto.seal("report_phone", phone) if phone else None

    def phone(self) -> str | None:
        """Unmasked callback phone: callers must audit the view (audit app)."""
        return crypto.open_text("report_phone", self.phone_sealed)


class ReportPhoto(models.Model):
    """A photo is stored as uploaded (checked by its header only, sealed) and cleaned later by the
    clock worker (reports.photos.clean_pending): until then `image_sealed` is empty, the row is
    "processing", and nothing serves it. The upload never leaves this table."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos", verbose_name=_("上报"))
    # Re-encoded JPEG (resized, EXIF/GPS stripped); sealed because photos may show people.
    image_sealed = models.BinaryField(_("照片（密文）"), null=True, editable=False)
    # The upload as it came (EXIF and GPS included), sealed, until the worker has cleaned it.
    upload_sealed = models.BinaryField(_("原始上传（密文）"), null=True, editable=False)
    kind = models.CharField(_("用途"), max_length=10, default="report")  # report | resolution
    created_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        indexes = [models.Index(fields=["id"], condition=Q(upload_sealed__isnull=False), name="reportphoto_pending")]

    @property
    def pending(self) -> bool:
        return self.image_sealed is None

    def image(self) -> bytes:
        """The cleaned photo; never the upload."""
        if self.image_sealed is None:
            raise ValueError("photo not cleaned yet")
        return crypto.open_bytes("report_photo", self.image_sealed)


class ReportEvent(models.Model):
    """One step of the time line: who, when, why."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events", verbose_name=_("上报"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("动作"), max_length=20)
    status = models.CharField(_("状态"), max_length=12, choices=Report.Status.choices)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    location = models.PointField(_("位置"), srid=STORAGE_SRID, null=True, blank=True)

    ACTIONS = {
        "created": _("已上报"), "joined": _("已并入同一问题"), "offered": _("已派给网格员"),
        "fallback": _("交网格负责人处理"), "offer_expired": _("改派"), "accepted": _("网格员已接单"),
        "on_the_way": _("网格员在途"), "arrived": _("网格员已到场"), "resolved": _("已办结"),
        "unresolvable": _("无法办结"), "escalated": _("已上报上一级"), "overdue": _("已超时"),
        "confirmed": _("群众已确认办结"), "reopened": _("群众已重新打开"), "merged": _("已并入同一问题"),
        "photo_dropped": _("一张照片无法使用"),
    }

    @classmethod
    def action_label(cls, action: str) -> str:
        return str(cls.ACTIONS.get(action, action))

    @property
    def action_name(self) -> str:
        return self.action_label(self.action)

    class Meta:
        verbose_name = _("处置记录")
        verbose_name_plural = _("处置记录")
        ordering = ["at", "id"]


class Shift(models.Model):
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_shifts", verbose_name=_("网格员"),
    )
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    grids = models.ManyToManyField(Grid, related_name="shifts", verbose_name=_("负责网格"))

    class Meta:
        verbose_name = _("值班")
        verbose_name_plural = _("值班")
        ordering = ["-starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_range")]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]

    def __str__(self):
        return f"{self.worker} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class WorkerPosition(models.Model):
    """Last known position of an on-duty worker (opt-in on the staff page). Kept 24 h only:
    `manage.py purge_worker_positions` deletes older rows."""

    RETENTION = timedelta(hours=24)

    worker = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_position", verbose_name=_("网格员"),
    )
    location = models.PointField(_("位置"), srid=STORAGE_SRID)
    location_3857 = mercator("location", models.PointField(srid=WEB_MERCATOR_SRID))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("网格员位置")
        verbose_name_plural = _("网格员位置")
        indexes = [GistIndex(fields=["location_3857"], name="workerpos_l3857_gist"), models.Index(fields=["at"])]

    @classmethod
    def purge(cls, now=None) -> int:
        now = now or timezone.now()
        return cls.objects.filter(at__lt=now - cls.RETENTION).delete()[0]


class ReportTimer(models.Model):
    """A pending clock event (reports.clock). Rows survive restarts; the worker claims due rows
    with FOR UPDATE SKIP LOCKED, so several workers never run the same row."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=10)
    version = models.PositiveIntegerField()
    due = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due"], condition=Q(done_at__isnull=True), name="reporttimer_pending")]


class SubmitCounter(models.Model):
    """Report submissions per client key and window, counted in the database so that every
    server process shares the limit (reports.ratelimit)."""

    key = models.CharField(max_length=64)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="submitcounter_unique")]


class Notification(models.Model):
    """The in-app list on the staff page (reports.notify); external notifiers (SMS…) get the same
    messages through the pluggable interface."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_notifications",
                             verbose_name=_("接收人"))
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("上报"))
    kind = models.CharField(_("类型"), max_length=20)
    text = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["user", "-created_at"])]

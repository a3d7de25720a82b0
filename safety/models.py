"""Three-colour safety rating (三色管理): incidents, rule sets as data, overrides, the monthly history.

A rule set says how a place is rated: over a window of days, incidents weighted by category per
1,000 residents, with a threshold for yellow and one for red, plus optional terms from the
product's own facts (camera coverage at a quality level, the share of let rooms whose tenants were
registered within the deadline, reports that missed their deadline). The colour is the worst of
the terms that apply. Ratings are kept per month and place, with the figures that made them and a
copy of the rules used, so history explains itself after the rules change.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gis_core.models import Community, Grid
from gis_core.spatial import STORAGE_SRID


class Colour(models.TextChoices):
    GREEN = "green", _("绿色（平安）")
    YELLOW = "yellow", _("黄色（关注）")
    RED = "red", _("红色（预警）")


# Severity order: a rating takes the worst colour of its terms. SQL uses the same numbers
# (safety/evaluate.py builds its CASE from this tuple).
COLOURS = (Colour.GREEN, Colour.YELLOW, Colour.RED)
HEX = {Colour.GREEN: "#2e9e5b", Colour.YELLOW: "#e6b422", Colour.RED: "#d64541"}


class Level(models.TextChoices):
    """What a rating is about."""

    GRID = "grid", _("网格")
    MESH = "mesh", _("网眼")
    BUILDING = "building", _("楼栋")


class IncidentCategory(models.Model):
    """The police incidents' vocabulary (the CSV's category column: code or name)."""

    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    property_crime = models.BooleanField(_("侵财类"), default=False,
                                         help_text=_("金水区三色管理按侵财类案件评定"))
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("警情类别")
        verbose_name_plural = _("警情类别")
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name


class Incident(models.Model):
    """A police incident imported from CSV. Not personal data: no names, no free text beyond the
    category and the place (address as given) — the CSV's other columns are never stored."""

    occurred_at = models.DateTimeField(_("发生时间"), db_index=True)
    category = models.ForeignKey(IncidentCategory, on_delete=models.PROTECT, related_name="incidents",
                                 verbose_name=_("类别"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    location = models.PointField(_("位置"), srid=STORAGE_SRID, null=True, blank=True)
    building = models.ForeignKey("buildings.Building", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("楼栋"))
    # Derived from the location (gis_core.assign), never set by hand.
    community = models.ForeignKey(Community, on_delete=models.PROTECT, null=True, blank=True, editable=False,
                                  related_name="+", verbose_name=_("社区"))
    grid = models.ForeignKey(Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
                             related_name="+", verbose_name=_("所在网格"))
    mesh = models.ForeignKey(Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
                             related_name="+", verbose_name=_("所在网眼"))
    # The case number when the file has one, else a digest of time, category and place: importing
    # the same file twice adds nothing.
    source_id = models.CharField(_("来源编号"), max_length=64, unique=True)
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["community", "occurred_at"], name="incident_comm_time")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.category} {self.place}"


def _percent():
    return [MinValueValidator(0), MaxValueValidator(100)]


class RuleSet(models.Model):
    """How places are rated. One active rule set per community, plus one active default for the
    communities without their own."""

    name = models.CharField(_("名称"), max_length=100)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                  verbose_name=_("社区"), help_text=_("留空：适用于没有自己规则的所有社区"))
    active = models.BooleanField(_("启用"), default=True)
    published = models.BooleanField(
        _("公开颜色"), default=False,
        help_text=_("公开后，按此规则评定的颜色显示在公开地图、终端机和大屏上"))
    grid_kinds = ArrayField(models.CharField(max_length=12, choices=Grid.Kind.choices), verbose_name=_("评定的网格类型"),
                            default=list, blank=True, help_text=_("通常只评定围院式网格"))
    rate_meshes = models.BooleanField(_("同时评定网眼"), default=False)
    rate_buildings = models.BooleanField(_("同时评定楼栋"), default=False)
    window_days = models.PositiveSmallIntegerField(
        _("统计天数"), default=30, validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("评定月末之前（当月则为此刻之前）这么多天内的案事件"))
    default_weight = models.DecimalField(
        _("未列类别的权重"), max_digits=6, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    min_residents = models.PositiveIntegerField(
        _("最少人口基数"), default=100, validators=[MinValueValidator(1)],
        help_text=_("人口少于此数时按此数计算千人发案率，避免小网格一起案件就变红"))
    yellow_at = models.DecimalField(_("黄色：千人加权发案数 ≥"), max_digits=8, decimal_places=3,
                                    validators=[MinValueValidator(0)])
    red_at = models.DecimalField(_("红色：千人加权发案数 ≥"), max_digits=8, decimal_places=3,
                                 validators=[MinValueValidator(0)])
    coverage_level = models.ForeignKey("coverage.QualityLevel", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("覆盖率画质等级"),
                                       help_text=_("通常为“观察”（62.5 像素/米）"))
    coverage_yellow_below = models.DecimalField(_("黄色：视频覆盖率低于 (%)"), max_digits=5, decimal_places=1,
                                                null=True, blank=True, validators=_percent())
    coverage_red_below = models.DecimalField(_("红色：视频覆盖率低于 (%)"), max_digits=5, decimal_places=1,
                                             null=True, blank=True, validators=_percent())
    registration_days = models.PositiveSmallIntegerField(
        _("登记期限（天）"), default=3, validators=[MaxValueValidator(90)],
        help_text=_("入住后这么多天内登记为按时（公安部令第 24 号：3 天）"))
    registered_yellow_below = models.DecimalField(_("黄色：按时登记房间比例低于 (%)"), max_digits=5, decimal_places=1,
                                                  null=True, blank=True, validators=_percent())
    registered_red_below = models.DecimalField(_("红色：按时登记房间比例低于 (%)"), max_digits=5, decimal_places=1,
                                               null=True, blank=True, validators=_percent())
    overdue_yellow_at = models.PositiveIntegerField(_("黄色：超时上报数 ≥"), null=True, blank=True,
                                                    validators=[MinValueValidator(1)])
    overdue_red_at = models.PositiveIntegerField(_("红色：超时上报数 ≥"), null=True, blank=True,
                                                 validators=[MinValueValidator(1)])
    note = models.TextField(_("依据说明"), blank=True, help_text=_("阈值从何而来"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评定规则")
        verbose_name_plural = _("评定规则")
        ordering = ["community__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community"], condition=Q(active=True, community__isnull=False),
                                    name="safety_one_active_ruleset_per_community",
                                    violation_error_message=_("该社区已有启用的评定规则")),
            models.UniqueConstraint(fields=["active"], condition=Q(active=True, community__isnull=True),
                                    name="safety_one_active_default_ruleset",
                                    violation_error_message=_("已有启用的默认评定规则")),
            models.CheckConstraint(condition=Q(red_at__gte=F("yellow_at")), name="safety_red_above_yellow",
                                   violation_error_message=_("红色阈值不能低于黄色阈值")),
            models.CheckConstraint(
                condition=Q(coverage_red_below__isnull=True) | Q(coverage_yellow_below__isnull=True)
                | Q(coverage_red_below__lte=F("coverage_yellow_below")),
                name="safety_coverage_red_below_yellow",
                violation_error_message=_("覆盖率的红色阈值不能高于黄色阈值")),
            models.CheckConstraint(
                condition=Q(registered_red_below__isnull=True) | Q(registered_yellow_below__isnull=True)
                | Q(registered_red_below__lte=F("registered_yellow_below")),
                name="safety_registered_red_below_yellow",
                violation_error_message=_("按时登记比例的红色阈值不能高于黄色阈值")),
            models.CheckConstraint(
                condition=Q(overdue_red_at__isnull=True) | Q(overdue_yellow_at__isnull=True)
                | Q(overdue_red_at__gte=F("overdue_yellow_at")),
                name="safety_overdue_red_above_yellow",
                violation_error_message=_("超时上报的红色阈值不能低于黄色阈值")),
        ]

    def __str__(self):
        return f"{self.name} ({self.community.name if self.community_id else _('默认')})"


class CategoryWeight(models.Model):
    """How much one incident of a category counts, per source (police, resident reports)."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="weights", verbose_name=_("规则"))
    source = models.CharField(_("来源"), max_length=20)
    category = models.CharField(_("类别编码"), max_length=30)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("类别权重")
        verbose_name_plural = _("类别权重")
        ordering = ["source", "category"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "source", "category"], name="safety_weight_once",
                                               violation_error_message=_("同一来源的类别只能设一个权重"))]

    def __str__(self):
        return f"{self.source}:{self.category} × {self.weight}"


class _Target(models.Model):
    """A month and exactly one place: a grid or mesh, or a building."""

    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("网格/网眼"))
    building = models.ForeignKey("buildings.Building", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("楼栋"))

    class Meta:
        abstract = True

    @property
    def target(self):
        return self.grid if self.grid_id else self.building


def _target_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(condition=Q(grid__isnull=True) ^ Q(building__isnull=True),
                               name=f"{prefix}_one_target",
                               violation_error_message=_("须指定一个网格（网眼）或一个楼栋")),
        models.UniqueConstraint(fields=["grid", "month"], condition=Q(grid__isnull=False),
                                name=f"{prefix}_grid_month", violation_error_message=_("该网格当月已有记录")),
        models.UniqueConstraint(fields=["building", "month"], condition=Q(building__isnull=False),
                                name=f"{prefix}_building_month", violation_error_message=_("该楼栋当月已有记录")),
        models.CheckConstraint(condition=Q(month__day=1), name=f"{prefix}_month_first_day"),
    ]


class Override(_Target):
    """A colour set by hand for one place and month, with the reason (audited: safety/services.py)."""

    colour = models.CharField(_("颜色"), max_length=6, choices=Colour.choices)
    reason = models.CharField(_("理由"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("人工调整")
        verbose_name_plural = _("人工调整")
        ordering = ["-month", "-created_at"]
        constraints = [*_target_constraints("safety_override"),
                       models.CheckConstraint(condition=~Q(reason=""), name="safety_override_reason",
                                              violation_error_message=_("人工调整必须说明理由"))]

    def __str__(self):
        return f"{self.target} {self.month:%Y-%m} → {self.get_colour_display()}"


class Rating(_Target):
    """One place's colour for one month, with the figures and the rules that made it. Written only
    by safety/evaluate.py (one statement per rule set)."""

    level = models.CharField(_("对象"), max_length=8, choices=Level.choices)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("社区"))
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("规则"))
    colour = models.CharField(_("颜色"), max_length=6, choices=Colour.choices)
    computed_colour = models.CharField(_("按规则的颜色"), max_length=6, choices=Colour.choices)
    override = models.ForeignKey(Override, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("人工调整"))
    residents = models.PositiveIntegerField(_("在住人数"))
    incidents = models.PositiveIntegerField(_("案事件数"))
    weighted = models.DecimalField(_("加权案事件数"), max_digits=12, decimal_places=3)
    rate = models.DecimalField(_("千人加权发案数"), max_digits=12, decimal_places=3)
    coverage_pct = models.FloatField(_("视频覆盖率 (%)"), null=True, blank=True)
    registered_pct = models.FloatField(_("按时登记房间比例 (%)"), null=True, blank=True)
    overdue_reports = models.PositiveIntegerField(_("超时上报数"), null=True, blank=True)
    # term → 0 green, 1 yellow, 2 red (null: the term is off or has no data)
    levels = models.JSONField(_("各项评定"), default=dict)
    by_category = models.JSONField(_("分类案事件数"), default=dict)
    red_streak = models.PositiveSmallIntegerField(_("连续红色月数"), default=0)
    rules = models.JSONField(_("所用规则"), default=dict)
    window_start = models.DateTimeField(_("统计起"))
    window_end = models.DateTimeField(_("统计止"))
    computed_at = models.DateTimeField(_("评定时间"))

    class Meta:
        verbose_name = _("评定结果")
        verbose_name_plural = _("评定结果")
        ordering = ["-month", "grid__code", "building__code"]
        constraints = _target_constraints("safety_rating")
        indexes = [models.Index(fields=["grid", "-month"], name="safety_rating_grid_recent"),
                   models.Index(fields=["community", "month"], name="safety_rating_comm_month")]

    def __str__(self):
        return f"{self.target} {self.month:%Y-%m} {self.get_colour_display()}"

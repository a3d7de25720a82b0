"""Buildings with floors and rooms, and the landlords who let them."""

from __future__ import annotations

import secrets

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.contrib.gis.db.models.functions import Transform
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gis_core.models import Community, Grid, Tracked
from gis_core.spatial import STORAGE_SRID, WEB_MERCATOR_SRID, GeographyArea, anchor_point, mercator


def new_qr_token() -> str:
    """128 random bits, URL-safe: a door code that cannot be guessed or enumerated."""
    return secrets.token_urlsafe(16)


class LandlordQuerySet(models.QuerySet):
    def consenting(self):
        """Landlords whose phone may be shown publicly (consent recorded)."""
        return self.filter(phone_consent=True, consent_at__isnull=False)


class Landlord(models.Model):
    class ConsentMethod(models.TextChoices):
        PAPER = "paper", _("纸质同意书")
        KIOSK = "kiosk", _("终端机确认")
        IN_PERSON = "in_person", _("服务大厅当面确认")
        PHONE_CALL = "phone_call", _("电话确认（有录音）")
        ONLINE = "online", _("房东在线确认")

    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    phone_consent = models.BooleanField(_("同意公开电话"), default=False)
    consent_at = models.DateTimeField(_("同意时间"), null=True, blank=True)
    consent_method = models.CharField(_("同意方式"), max_length=12, choices=ConsentMethod.choices, blank=True)

    objects = LandlordQuerySet.as_manager()

    class Meta:
        verbose_name = _("房东")
        verbose_name_plural = _("房东")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone_consent=False) | Q(consent_at__isnull=False, phone__gt="") & ~Q(consent_method=""),
                name="landlord_consent_recorded",
                violation_error_message=_("公开电话须记录同意时间和方式"),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def public_phone(self) -> str | None:
        """The phone, only when publishing it was consented to; otherwise None."""
        return self.phone if self.phone_consent and self.consent_at else None

    def record_consent(self, method: str, when=None):
        self.phone_consent = True
        self.consent_method = method
        self.consent_at = when or timezone.now()

    def save(self, *args, **kwargs):
        """Every public surface shows the phone only with consent: a saved landlord reports its
        buildings to the change pipeline (gis_core/changes.py), so the tiles that carry the phone
        follow; the kiosk, door and 3D pages read it live."""
        from gis_core import changes

        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:
            changes.attributes_changed(Building, self.buildings.values_list("pk", flat=True), fields={"landlord"})


_EFFECTIVE_HEIGHT = Coalesce(
    "height_m", ExpressionWrapper(F("floors") * F("floor_height_m"), output_field=models.FloatField()),
    output_field=models.FloatField())


class BuildingQuerySet(models.QuerySet):
    def in_grid(self, grid: Grid):
        """Buildings in a grid, or in a mesh when given one."""
        if grid.level == Grid.Level.MESH:
            return self.filter(mesh=grid)
        return self.filter(grid=grid)

    def in_community(self, community: Community):
        return self.filter(community=community)

    def with_area(self):
        return self.annotate(footprint_m2=GeographyArea("footprint"))


# Kept by the rooms' trigger (migrations 0002, 0009); a save of a building never writes them.
ROOM_COUNTERS = ("room_count", "vacant_count", "let_count")


class Building(Tracked):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("社区"))
    # Derived from the footprint (gis_core.assign), never set by hand.
    grid = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="buildings",
        limit_choices_to={"level": Grid.Level.GRID}, verbose_name=_("所在网格"),
    )
    mesh = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="mesh_buildings",
        limit_choices_to={"level": Grid.Level.MESH}, verbose_name=_("所在网眼"),
    )
    code = models.CharField(_("楼栋编码"), max_length=40, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    footprint = models.PolygonField(_("基底轮廓"), srid=STORAGE_SRID)
    footprint_3857 = mercator("footprint", models.PolygonField(srid=WEB_MERCATOR_SRID))
    anchor = anchor_point("footprint")
    floors = models.PositiveSmallIntegerField(_("地上层数"), validators=[MinValueValidator(1), MaxValueValidator(200)])
    floor_height_m = models.FloatField(_("层高 (m)"), default=3.0, validators=[MinValueValidator(2), MaxValueValidator(10)])
    height_m = models.FloatField(_("高度 (m)"), null=True, blank=True, help_text=_("缺省为层数×层高"))
    # The height everything draws — tiles, 3D, the API — and the height of one storey within it: the
    # surveyed height, else storeys × storey height. Kept by PostgreSQL, so SQL and Python read the
    # one definition (an instance changed in memory reads them again after save()).
    effective_height_m = models.GeneratedField(
        expression=_EFFECTIVE_HEIGHT, output_field=models.FloatField(), db_persist=True, editable=False)
    storey_height_m = models.GeneratedField(
        expression=ExpressionWrapper(_EFFECTIVE_HEIGHT / F("floors"), output_field=models.FloatField()),
        output_field=models.FloatField(), db_persist=True, editable=False)
    landlord = models.ForeignKey(
        Landlord, on_delete=models.SET_NULL, null=True, blank=True, related_name="buildings", verbose_name=_("房东")
    )
    # Kept by a database trigger on buildings_room (migration 0002), whatever writes the rooms:
    # the ORM, COPY or SQL. Tiles and lists read them instead of counting rooms per request.
    room_count = models.PositiveIntegerField(_("房间数"), db_default=0, editable=False)
    vacant_count = models.PositiveIntegerField(_("空置房间数"), db_default=0, editable=False)
    let_count = models.PositiveIntegerField(_("已出租房间数"), db_default=0, editable=False)
    qr_token = models.CharField(_("门牌二维码令牌"), max_length=32, unique=True, default=new_qr_token, editable=False)
    # Provenance for idempotent re-import (onboarding.footprints): same source + id updates in place.
    source = models.CharField(_("数据来源"), max_length=100, blank=True)
    source_id = models.CharField(_("来源编号"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], condition=~Q(source_id=""), name="building_unique_source_id"
            ),
            models.CheckConstraint(condition=Q(floors__gte=1), name="building_floors_positive"),
            models.CheckConstraint(condition=Q(height_m__isnull=True) | Q(height_m__gt=0), name="building_height_positive"),
        ]
        indexes = [
            GistIndex(fields=["footprint_3857"], name="building_f3857_gist"),
        ]

    def __str__(self):
        return f"{self.code} {self.address}".strip()

    def save(self, *args, **kwargs):
        """Community, grid, mesh and the rooms' layout follow the footprint (gis_core/changes.py)."""
        if self.community_id is None:  # needed for the INSERT; the pipeline re-derives it from the anchor
            community = Community.objects.containing(self.footprint.point_on_surface).first()
            if community is None:
                from django.core.exceptions import ValidationError

                raise ValidationError(
                    {"footprint": _("楼栋不在任何社区边界内")}
                )
            self.community = community
        if not self._state.adding and kwargs.get("update_fields") is None:
            # The room counters belong to the rooms' trigger: a stale in-memory copy (rooms let
            # since this instance was loaded) must never be written back.
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields if not f.primary_key
                                       and not f.generated and f.name not in ROOM_COUNTERS]
        super().save(*args, **kwargs)

    def revoke_qr_token(self) -> str:
        """Issue a new door code (e.g. after defacement); the old one stops working."""
        self.qr_token = new_qr_token()
        self.save(update_fields=["qr_token", "updated_at"])
        return self.qr_token


class RoomQuerySet(models.QuerySet):
    def vacant(self):
        return self.filter(status=Room.Status.VACANT)

    def let(self):
        return self.filter(status=Room.Status.LET)

    def in_grid(self, grid: Grid):
        field = "building__mesh" if grid.level == Grid.Level.MESH else "building__grid"
        return self.filter(**{field: grid})

    def let_without_tenant(self):
        """Let, but no tenancy holds them (Tenancy.objects.occupying()): someone lives there unregistered,
        or the room was left without updating its status — a grid worker goes and looks."""
        from residents.models import Tenancy

        return self.let().exclude(models.Exists(Tenancy.objects.occupying().filter(room=models.OuterRef("pk"))))

    def over_capacity(self):
        """More tenancies hold them than they have places (imports, or a capacity lowered later),
        annotated with `occupants`."""
        from gis_core.rules import holding_tenancy_q

        return self.annotate(occupants=models.Count("tenancies", filter=holding_tenancy_q("tenancies__"))).filter(
            occupants__gt=F("capacity"))

    def sync_status(self) -> int:
        """Recompute status from tenancies for these rooms: let ⇔ a tenancy holds the room
        (Tenancy.objects.occupying(), the rule check-in uses).

        Unavailable rooms stay unavailable. Used after bulk loads; tenancy changes go through
        residents.services, which updates the one room under a row lock.
        """
        from gis_core.changes import attributes_changed
        from residents.models import Tenancy

        active = Tenancy.objects.occupying().filter(room=models.OuterRef("pk"))
        rooms = self.exclude(status=Room.Status.UNAVAILABLE)
        to_let = rooms.filter(models.Exists(active)).exclude(status=Room.Status.LET)
        to_free = rooms.filter(~models.Exists(active)).exclude(status=Room.Status.VACANT)
        let_ids, free_ids = list(to_let.values_list("pk", flat=True)), list(to_free.values_list("pk", flat=True))
        n = (to_let.filter(pk__in=let_ids).update(status=Room.Status.LET)
             + to_free.filter(pk__in=free_ids).update(status=Room.Status.VACANT))
        attributes_changed(Room, let_ids + free_ids, fields={"status"})  # a set-based update reports itself
        return n


class Room(models.Model):
    class Status(models.TextChoices):
        VACANT = "vacant", _("空置")
        LET = "let", _("已出租")
        UNAVAILABLE = "unavailable", _("不可出租")

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("楼栋"))
    floor = models.SmallIntegerField(_("楼层"), validators=[MinValueValidator(-5), MaxValueValidator(200)])
    number = models.CharField(_("房号"), max_length=10)
    footprint = models.PolygonField(_("房间轮廓"), srid=STORAGE_SRID, null=True, blank=True,
                                    help_text=_("可空：三维模型按楼栋轮廓生成布局"))
    # Derived layout (buildings/layout.py) for rooms without a surveyed footprint.
    layout = models.PolygonField(_("推算轮廓"), srid=STORAGE_SRID, null=True, blank=True, editable=False)
    # What maps draw: the surveyed footprint, else the derived layout, in EPSG:3857.
    shape_3857 = models.GeneratedField(
        expression=Transform(Coalesce("footprint", "layout"), WEB_MERCATOR_SRID),
        output_field=models.PolygonField(srid=WEB_MERCATOR_SRID), db_persist=True, editable=False,
    )
    area_m2 = models.DecimalField(_("面积 (m²)"), max_digits=7, decimal_places=2)
    rent_monthly = models.DecimalField(_("月租 (元)"), max_digits=8, decimal_places=0)
    capacity = models.PositiveSmallIntegerField(_("可住人数"), default=2)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.VACANT)
    # What the landlord publishes with a vacancy (landlords/): shown on the kiosk card and the phone pages.
    description = models.CharField(_("简介"), max_length=300, blank=True, default="", db_default="")  # (COPY loads omit it)
    publish_until = models.DateField(_("发布截止"), null=True, blank=True,
                                     help_text=_("到期后空置房间改为不可出租（manage.py expire_listings）"))
    # A retired room (merged, demolished) stays with its history: unavailable, hidden from maps and lists.
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # The building's community, copied by database triggers (migration 0004) so vacant-room search
    # walks one community's rooms in rent or area order straight from an index; never set by hand.
    community = models.ForeignKey("gis_core.Community", on_delete=models.DO_NOTHING, null=True, editable=False,
                                  db_constraint=False, db_index=False, related_name="+", verbose_name=_("社区"))

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("房间")
        verbose_name_plural = _("房间")
        ordering = ["building", "floor", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "floor", "number"], name="room_unique_number_per_floor",
                violation_error_message=_("同一楼栋同一层不能有相同房号"),
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive",
                                   violation_error_message=_("可住人数至少为 1")),
            models.CheckConstraint(condition=Q(area_m2__gt=0), name="room_area_positive"),
            models.CheckConstraint(condition=Q(rent_monthly__gte=0), name="room_rent_not_negative"),
            models.CheckConstraint(condition=~Q(floor=0), name="room_floor_not_zero"),
        ]
        indexes = [
            GistIndex(fields=["shape_3857"], name="room_s3857_gist"),
            models.Index(fields=["status", "building"], name="room_status_building"),
            # A building's vacant rooms with what search filters on, answered from the index alone.
            models.Index(fields=["building"], include=["rent_monthly", "area_m2", "floor"],
                         condition=Q(status="vacant"), name="room_vacant_cover"),
            # Vacant-room search within a community, sorted or counted by rent or area, reads these
            # in order; the other filters are in the index too, so counting never visits the table.
            models.Index(fields=["community", "rent_monthly", "id"], include=["area_m2", "floor"],
                         condition=Q(status="vacant"), name="room_vacant_comm_rent"),
            models.Index(fields=["community", "area_m2", "id"], include=["rent_monthly", "floor"],
                         condition=Q(status="vacant"), name="room_vacant_comm_area"),
        ]

    def __str__(self):
        return f"{self.building.code} {self.floor}F-{self.number}"

    def save(self, *args, **kwargs):
        """Reported to the change pipeline (gis_core/changes.py): a new room, or one renumbered or
        moved to another floor or building, is drawn anew — its building's rooms are laid out again
        (buildings/layout.py) —, any other save by the fields it wrote. (A room is drawn within its
        building, so it is no Tracked model: where it lies never comes from a geometry of its own.)"""
        from gis_core import changes

        before = None if self._state.adding else Room.objects.filter(pk=self.pk).values_list(
            "building_id", "floor", "number").first()
        if not self._state.adding and kwargs.get("update_fields") is None:
            # The derived layout belongs to relayout(): never write back a stale in-memory copy.
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields
                                       if not f.primary_key and not f.generated and f.name not in ("layout", "community")]
        super().save(*args, **kwargs)
        if before == (self.building_id, self.floor, self.number):
            changes.attributes_changed(Room, [self.pk], kwargs.get("update_fields"))
            return
        changes.geometry_changed(Room, [self.pk])
        if before is not None and before[0] != self.building_id:  # the building it left shows one room less
            changes.attributes_changed(Building, [before[0]], fields={"rooms"})

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.building_id and self.floor > self.building.floors:
            raise ValidationError({"floor": _("楼层超过楼栋层数")})


class RoomPhoto(models.Model):
    """A photo of a vacant room, as published by its landlord (landlords/photos.py): re-encoded
    JPEG, resized, without EXIF. Public like the room's rent; kept in the database with the room."""

    MAX_PER_ROOM = 6

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="photos", verbose_name=_("房间"))
    image = models.BinaryField(_("图片 (JPEG)"))
    width = models.PositiveSmallIntegerField(_("宽"))
    height = models.PositiveSmallIntegerField(_("高"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("房间照片")
        verbose_name_plural = _("房间照片")
        ordering = ["room", "position", "id"]
        indexes = [models.Index(fields=["room", "position"], name="roomphoto_room_pos")]

    def __str__(self):
        return f"{self.room_id}#{self.position}"

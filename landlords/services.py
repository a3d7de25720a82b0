"""What a landlord does on the /my/ pages, each operation scoped and audited.

Scope: residents.scoping.own_buildings(user) — the landlord's own buildings and nothing else; a
room or building outside it is "not found" (404), so ids of others' rooms tell nothing. Every
change is written through the models' save() (which reports to gis_core/changes.py, so tiles,
3D and the kiosk follow) and recorded in the audit log (audit.log.record).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.log import record
from buildings.models import Building, Landlord, Room, RoomPhoto
from gis_core.errors import BadRequest, Conflict, NotFound
from landlords import photos
from landlords.models import ConsentEvent
from residents.models import Tenancy
from residents.scoping import own_buildings

EDITABLE = ("rent_monthly", "area_m2", "capacity", "description", "publish_until")


# --- reading ------------------------------------------------------------------------------------

def landlord_of(user) -> Landlord:
    profile = getattr(user, "staff_profile", None)
    if profile is None or profile.landlord_id is None:
        raise NotFound(_("此账户未关联房东，请到社区服务大厅办理"))
    return profile.landlord


def buildings(user):
    return own_buildings(user).select_related("community", "grid").order_by("code")


def building(user, building_id: int) -> Building:
    found = buildings(user).filter(pk=building_id).first()
    if found is None:
        raise NotFound(_("没有这栋楼，或不是您的楼"))
    return found


def rooms(user):
    """The landlord's rooms in use (retired ones are history, not shown)."""
    return Room.objects.filter(building__in=own_buildings(user), retired_at__isnull=True)


def room(user, room_id: int, *, lock: bool = False) -> Room:
    qs = rooms(user).select_related("building")
    if lock:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=room_id).first()
    if found is None:
        raise NotFound(_("没有这个房间，或不是您的房间"))
    return found


def tenants(room_ids) -> dict[int, list[Tenancy]]:
    """Open tenancies per room, people masked (only the masked columns are read)."""
    out: dict[int, list[Tenancy]] = {}
    qs = Tenancy.objects.occupying().filter(room_id__in=list(room_ids)).select_related("person").only(
        "id", "room_id", "start_date", "person__name_masked", "person__id_number_masked").order_by("start_date", "id")
    for t in qs:
        out.setdefault(t.room_id, []).append(t)
    return out


# --- rooms --------------------------------------------------------------------------------------

def _decimal(value, label, *, places: int, low: Decimal, high: Decimal) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BadRequest(_("%(field)s 须为数字") % {"field": label}) from None
    if not d.is_finite() or not (low <= d <= high):
        raise BadRequest(_("%(field)s 须在 %(low)s 到 %(high)s 之间") % {"field": label, "low": low, "high": high})
    return d.quantize(Decimal(1).scaleb(-places))


def clean_fields(data) -> dict:
    """The editable fields present in `data` (a form's POST), checked; BadRequest names the first bad one."""
    out: dict = {}
    if data.get("rent_monthly") not in (None, ""):
        out["rent_monthly"] = _decimal(data["rent_monthly"], _("月租"), places=0, low=Decimal(0), high=Decimal(99_999_999))
    if data.get("area_m2") not in (None, ""):
        out["area_m2"] = _decimal(data["area_m2"], _("面积"), places=2, low=Decimal("0.5"), high=Decimal(99_999))
    if data.get("capacity") not in (None, ""):
        out["capacity"] = int(_decimal(data["capacity"], _("可住人数"), places=0, low=Decimal(1), high=Decimal(50)))
    if "description" in data:
        text = " ".join(str(data["description"]).split())
        if len(text) > Room._meta.get_field("description").max_length:
            raise BadRequest(_("简介不能超过 300 字"))
        out["description"] = text
    if "publish_until" in data:
        raw = str(data["publish_until"]).strip()
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                raise BadRequest(_("发布截止日期格式应为 YYYY-MM-DD")) from None
            if day < timezone.localdate():
                raise BadRequest(_("发布截止日期不能早于今天"))
            out["publish_until"] = day
        else:
            out["publish_until"] = None
    return out


@transaction.atomic
def update_room(user, room_id: int, data) -> Room:
    r = room(user, room_id, lock=True)
    fields = clean_fields(data)
    changed = {k: v for k, v in fields.items() if getattr(r, k) != v}
    if not changed:
        return r
    before = {k: str(getattr(r, k)) for k in changed}
    for k, v in changed.items():
        setattr(r, k, v)
    r.save(update_fields=[*changed, "updated_at"])
    record("landlord", reason="room_updated", actor=user, room_id=r.pk,
           changes={k: [before[k], str(v)] for k, v in changed.items()})
    return r


@transaction.atomic
def set_status(user, room_id: int, status: str) -> Room:
    """Publish as vacant or take off the market. A let room is freed only by checking its tenants out."""
    if status not in (Room.Status.VACANT, Room.Status.UNAVAILABLE):
        raise BadRequest(_("只能设为“空置”或“不可出租”"))
    r = room(user, room_id, lock=True)
    if r.status == status:
        return r
    if r.status == Room.Status.LET or Tenancy.objects.occupying().filter(room_id=r.pk).exists():
        raise Conflict(_("房间已出租：请先为租户办理退房，房间才会空出"))
    before, r.status = r.status, status
    r.save(update_fields=["status", "updated_at"])
    record("landlord", reason="room_status", actor=user, room_id=r.pk, before=before, after=status)
    return r


@transaction.atomic
def add_room(user, building_id: int, data) -> Room:
    b = building(user, building_id)
    number = str(data.get("number", "")).strip()
    if not number or len(number) > Room._meta.get_field("number").max_length:
        raise BadRequest(_("请填写房号（最多 10 个字符）"))
    try:
        floor = int(str(data.get("floor", "")).strip())
    except ValueError:
        raise BadRequest(_("楼层须为整数")) from None
    if floor == 0 or floor < -5 or floor > b.floors:
        raise BadRequest(_("楼层须在 -5 到 %(top)d 之间，且不能为 0") % {"top": b.floors})
    fields = clean_fields(data)
    for required in ("rent_monthly", "area_m2"):
        if required not in fields:
            raise BadRequest(_("请填写月租和面积"))
    if Room.objects.filter(building=b, floor=floor, number=number).exists():
        raise Conflict(_("同一楼栋同一层不能有相同房号"))
    r = Room(building=b, floor=floor, number=number, status=Room.Status.UNAVAILABLE, **fields)
    r.save()
    record("landlord", reason="room_added", actor=user, room_id=r.pk, building=b.code, floor=floor, number=number)
    return r


@transaction.atomic
def retire_room(user, room_id: int) -> Room:
    """Take a room out of use for good (merged, demolished): its tenancies, photos and log stay."""
    r = room(user, room_id, lock=True)
    if Tenancy.objects.occupying().filter(room_id=r.pk).exists():
        raise Conflict(_("房间仍有租户：请先办理退房再停用"))
    before = r.status
    r.status, r.retired_at = Room.Status.UNAVAILABLE, timezone.now()
    r.save(update_fields=["status", "retired_at", "updated_at"])
    record("landlord", reason="room_retired", actor=user, room_id=r.pk, before=before)
    return r


@transaction.atomic
def add_photo(user, room_id: int, upload) -> RoomPhoto:
    r = room(user, room_id, lock=True)
    count = RoomPhoto.objects.filter(room=r).count()
    if count >= RoomPhoto.MAX_PER_ROOM:
        raise Conflict(_("每个房间最多 %(n)d 张照片") % {"n": RoomPhoto.MAX_PER_ROOM})
    data, width, height = photos.process(upload)
    last = RoomPhoto.objects.filter(room=r).order_by("-position").values_list("position", flat=True).first()
    photo = RoomPhoto.objects.create(room=r, image=data, width=width, height=height,
                                     position=0 if last is None else last + 1)
    r.save(update_fields=["updated_at"])
    record("landlord", reason="photo_added", actor=user, room_id=r.pk, photo_id=photo.pk, bytes=len(data))
    return photo


@transaction.atomic
def delete_photo(user, room_id: int, photo_id: int) -> None:
    r = room(user, room_id, lock=True)
    deleted, _rows = RoomPhoto.objects.filter(room=r, pk=photo_id).delete()
    if not deleted:
        raise NotFound(_("没有这张照片"))
    r.save(update_fields=["updated_at"])
    record("landlord", reason="photo_deleted", actor=user, room_id=r.pk, photo_id=photo_id)


def check_out(user, room_id: int, tenancy_id: int) -> Tenancy:
    """Check out a tenant who has left (residents.services.check_out: audited, frees the room)."""
    from residents.services import check_out as end_tenancy

    with transaction.atomic():
        r = room(user, room_id)
        return end_tenancy(r.pk, tenancy_id=tenancy_id, by=user)


# --- consent to publish the phone ---------------------------------------------------------------

@transaction.atomic
def set_consent(user, give: bool, *, method: str = ConsentEvent.Method.ONLINE) -> Landlord:
    """Give or withdraw consent to publish the phone; effective at once on every public surface
    (the kiosk, door and 3D pages read it live; Landlord.save() refreshes the tiles)."""
    if method not in ConsentEvent.Method.values:
        raise BadRequest(_("同意方式只能是终端机或在线"))
    landlord = Landlord.objects.select_for_update().get(pk=landlord_of(user).pk)
    if give and not landlord.phone:
        raise BadRequest(_("没有登记电话：请到社区服务大厅登记后再同意公开"))
    if give:
        landlord.record_consent(method)
    else:
        landlord.phone_consent, landlord.consent_at, landlord.consent_method = False, None, ""
    landlord.save(update_fields=["phone_consent", "consent_at", "consent_method"])
    ConsentEvent.objects.create(landlord=landlord, given=give, method=method, actor=user)
    record("landlord", actor=user, reason="consent_given" if give else "consent_withdrawn", method=method,
           landlord_id=landlord.pk)
    return landlord


# --- door plates --------------------------------------------------------------------------------

def plate_pdf(user, building_id: int, request) -> tuple[Building, bytes]:
    from django.utils.translation import gettext

    from qrcodes import pdf, services, sheets

    b = building(user, building_id)
    pages = sheets.label_pages([b], lambda x: services.public_url(x, request))
    record("landlord", reason="plate_printed", actor=user, building=b.code)
    return b, pdf.render(pages, title=gettext("楼栋二维码门牌"))


def report_lost_plate(user, building_id: int) -> Building:
    """The plate is lost or defaced: the old code stops working (its page says so) and a new one is issued."""
    from qrcodes import services

    with transaction.atomic():
        b = building(user, building_id)
        services.reissue(b, "lost (reported by landlord)", by=user)
        record("landlord", reason="plate_reissued", actor=user, building=b.code)
    return b


def expire_listings(today: date | None = None) -> int:
    """Vacant rooms published until a day now past are taken off the market (set-based; reported
    to the change pipeline once). Run daily: manage.py expire_listings."""
    from gis_core.changes import attributes_changed

    today = today or timezone.localdate()
    with transaction.atomic():
        ids = list(Room.objects.select_for_update().filter(status=Room.Status.VACANT, publish_until__lt=today)
                   .values_list("pk", flat=True))
        if not ids:
            return 0
        Room.objects.filter(pk__in=ids).update(status=Room.Status.UNAVAILABLE, updated_at=timezone.now())
        attributes_changed(Room, ids, fields={"status"})
        record("landlord", reason="listings_expired", day=today.isoformat(), rooms=len(ids))
    return len(ids)

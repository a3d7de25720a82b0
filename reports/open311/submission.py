"""A POSTed service request turned into the arguments of reports.services.submit.

The place comes from, in this order: lat + long; attribute[patrol_point] (the point's own
location, as from its QR code); address_id (one of our building codes); address_string (matched
to one building by the address rules of safety/address.py — none or several is a 400). Anything
else about the place is the submit service's to refuse (outside every community: 422).
"""

from __future__ import annotations

import re

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Func, TextField, Value
from django.utils.translation import gettext as _

from buildings.models import Building
from gis_core.errors import BadRequest
from reports.models import PatrolPoint
from reports.open311.serializers import ATTRIBUTES
from reports.services import parse_point
from safety.address import AddressIndex, normalise

ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\]$")
MAX_MEDIA_URL = 500


def attributes(post) -> dict[str, str]:
    known = {a["code"] for a in ATTRIBUTES}
    out = {}
    for key in post:
        m = ATTRIBUTE.match(key)
        if m is None:
            continue
        if m.group(1) not in known:
            raise BadRequest(_("未知的属性：%(code)s") % {"code": m.group(1)[:40]}, field=key[:60])
        out[m.group(1)] = post.get(key, "").strip()
    return out


def _building_at_address(address: str) -> Building:
    n = normalise(address)
    if not n:
        raise BadRequest(_("地址为空"), field="address_string")
    # Only buildings whose normalised address holds the written house number can match, so the
    # index is built from those few instead of the whole city (PostgreSQL normalises NFKC too).
    numbers = re.findall(r"\d+", n)
    qs = Building.objects.exclude(address="")
    if numbers:
        nfkc = Func("address", function="normalize", template="normalize(%(expressions)s, NFKC)",
                    output_field=TextField())
        qs = qs.annotate(nfkc=nfkc).filter(nfkc__contains=Value(numbers[-1]))
    ids, _how = AddressIndex.of_buildings(qs).find(address)
    if not ids:
        raise BadRequest(_("找不到该地址对应的楼栋"), field="address_string")
    if len(set(ids)) > 1:
        raise BadRequest(_("该地址对应多栋楼，请写得更完整或提供坐标"), field="address_string")
    return Building.objects.get(pk=ids[0])


def place(post, attrs: dict) -> dict:
    """{location, point, building} for submit, from the POST's place fields."""
    lat, lon = post.get("lat", "").strip(), post.get("long", "").strip()
    point = building = None
    if attrs.get("patrol_point"):
        point = PatrolPoint.objects.filter(code=attrs["patrol_point"], active=True).first()
        if point is None:
            raise BadRequest(_("未知的巡查点编码"), field="attribute[patrol_point]")
    if post.get("address_id", "").strip():
        building = Building.objects.filter(code=post["address_id"].strip()).first()
        if building is None:
            raise BadRequest(_("未知的 address_id（楼栋编码）"), field="address_id")
    elif post.get("address_string", "").strip() and not (lat or lon):
        building = _building_at_address(post["address_string"].strip()[:200])
    if lat or lon:
        if not (lat and lon):
            raise BadRequest(_("lat 和 long 须同时提供"), field="lat" if not lat else "long")
        location = parse_point(lat, lon)
    elif point is not None:
        location = point.location
    elif building is not None:
        location = Point(building.anchor.x, building.anchor.y, srid=building.anchor.srid)
    else:
        raise BadRequest(_("请提供位置：lat/long、address_string、address_id 或巡查点编码"), field="lat")
    return {"location": location, "point": point, "building": building}


def media_url(post) -> str:
    url = post.get("media_url", "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise BadRequest(_("media_url 不是有效的 http(s) 地址"), field="media_url") from None
    if len(url) > MAX_MEDIA_URL:
        raise BadRequest(_("media_url 过长"), field="media_url")
    return url

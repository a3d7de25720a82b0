"""One register row → the values of one room and its landlord, or the reasons it cannot be."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from buildings.models import Landlord, Room
from onboarding.boundaries.fields import date_of
from onboarding.errors import Rejected

NUMBER_MAX = Room._meta.get_field("number").max_length
NAME_MAX = Landlord._meta.get_field("name").max_length
PHONE_MAX = Landlord._meta.get_field("phone").max_length
AREA_MAX = Decimal("99999.99")
RENT_MAX = Decimal("99999999")
# Columns whose merged cells span the rows of one building (Excel leaves them empty below the first).
FILLED_DOWN = ("building", "address")
FILLED_DOWN_PER_BUILDING = ("landlord_name", "landlord_phone", "consent", "consent_date", "consent_method")

_STATUS = {"空置": Room.Status.VACANT, "空": Room.Status.VACANT, "未出租": Room.Status.VACANT, "待租": Room.Status.VACANT,
           "vacant": Room.Status.VACANT, "已出租": Room.Status.LET, "出租": Room.Status.LET, "已租": Room.Status.LET,
           "let": Room.Status.LET, "自住": Room.Status.UNAVAILABLE, "不可出租": Room.Status.UNAVAILABLE,
           "unavailable": Room.Status.UNAVAILABLE}
_YES = {"是", "同意", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "不同意", "n", "no", "false", "0", "×"}
_METHODS = {"纸质": Landlord.ConsentMethod.PAPER, "paper": Landlord.ConsentMethod.PAPER,
            "书面": Landlord.ConsentMethod.PAPER, "终端": Landlord.ConsentMethod.KIOSK,
            "kiosk": Landlord.ConsentMethod.KIOSK, "当面": Landlord.ConsentMethod.IN_PERSON,
            "大厅": Landlord.ConsentMethod.IN_PERSON, "in_person": Landlord.ConsentMethod.IN_PERSON,
            "in person": Landlord.ConsentMethod.IN_PERSON, "电话": Landlord.ConsentMethod.PHONE_CALL,
            "phone": Landlord.ConsentMethod.PHONE_CALL}


@dataclass
class RoomRow:
    line: int  # the row number a spreadsheet shows
    building: str
    address: str
    floor: int
    number: str
    area: Decimal
    rent: Decimal
    capacity: int | None
    status: str | None
    landlord_name: str = ""
    landlord_phone: str = ""
    consent: bool | None = None  # None: the register does not say
    consent_at: dt.date | None = None
    consent_method: str = ""
    notes: list[str] = field(default_factory=list)
    building_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.building or self.address} {self.floor}F-{self.number}"


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 101 as 101.0
    return unicodedata.normalize("NFKC", str(value)).strip()


def fill_down(rows: list[dict]) -> None:
    """Cells merged over a building's rows are empty below the first: carry them down."""
    previous: dict = {}
    for values in rows:
        if not any(values.get(k) not in (None, "") for k in ("floor", "number")):
            continue
        same_building = all(values.get(k) in (None, "") for k in FILLED_DOWN)
        for key in FILLED_DOWN:
            if values.get(key) in (None, "") and same_building:
                values[key] = previous.get(key)
        if same_building:
            for key in FILLED_DOWN_PER_BUILDING:
                if values.get(key) in (None, ""):
                    values[key] = previous.get(key)
        previous = values


def parse(line: int, values: dict) -> RoomRow:
    """Raise Rejected with every problem of the row (all of them at once: one fix per round trip)."""
    problems: list[str] = []

    def get(key, convert, *args):
        try:
            return convert(values.get(key), *args)
        except Rejected as exc:
            problems.append(str(exc))
            return None

    building, address = text(values.get("building")), text(values.get("address"))
    if not building and not address:
        problems.append(_("缺少楼栋编号或地址"))
    row = RoomRow(
        line=line, building=building, address=address,
        floor=get("floor", _floor), number=get("number", _room_number),
        area=get("area", _decimal, _("面积"), Decimal("0.01"), AREA_MAX),
        rent=get("rent", _decimal, _("月租金"), Decimal("0"), RENT_MAX),
        capacity=get("capacity", _capacity), status=get("status", _status),
        landlord_name=get("landlord_name", _limited, NAME_MAX, _("房东姓名")) or "",
        landlord_phone=get("landlord_phone", _phone) or "",
        consent=get("consent", _yes_no),
        consent_at=get("consent_date", date_of_cell),
        consent_method=get("consent_method", _method) or "",
    )
    if problems:
        raise Rejected("; ".join(problems))
    if row.rent is not None and row.rent != row.rent.to_integral_value():
        row.rent = row.rent.quantize(Decimal("1"))
        row.notes.append(_("月租金取整到元"))
    return row


def _floor(value) -> int:
    raw = text(value)
    match = re.fullmatch(r"(-?\d+)\s*(?:层|楼|f|F)?", raw) or re.fullmatch(r"[Bb负地下]+\s*(\d+)\s*层?", raw)
    if not match:
        raise Rejected(_("楼层不是整数：%(value)s") % {"value": raw or _("（空）")})
    floor = int(match.group(1))
    if raw[:1] in "Bb负地" and floor > 0:
        floor = -floor
    if floor == 0 or not -5 <= floor <= 200:
        raise Rejected(_("楼层须在 -5…200 之间且不为 0：%(value)s") % {"value": raw})
    return floor


def _room_number(value) -> str:
    raw = text(value).removesuffix("室").removesuffix("房")
    if not raw:
        raise Rejected(_("缺少房号"))
    if len(raw) > NUMBER_MAX:
        raise Rejected(_("房号超过 %(n)d 个字符：%(value)s") % {"n": NUMBER_MAX, "value": raw})
    return raw


def _decimal(value, what, low, high) -> Decimal:
    raw = text(value)
    cleaned = re.sub(r"(元|/月|每月|㎡|m2|平方米|平米|,)", "", raw).strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise Rejected(_("%(what)s不是数字：%(value)s") % {"what": what, "value": raw or _("（空）")}) from None
    if not number.is_finite() or not low <= number <= high:
        raise Rejected(_("%(what)s超出范围：%(value)s") % {"what": what, "value": raw})
    return number.quantize(Decimal("0.01"))


def _capacity(value) -> int | None:
    raw = text(value).removesuffix("人")
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 50:
        raise Rejected(_("可住人数须为 1–50 的整数：%(value)s") % {"value": raw})
    return int(raw)


def _status(value) -> str | None:
    raw = text(value).lower()
    if not raw:
        return None
    if raw not in _STATUS:
        raise Rejected(_("未知的房屋状态：%(value)s（空置、已出租、自住、不可出租）") % {"value": raw})
    return _STATUS[raw]


def _limited(value, limit, what) -> str:
    raw = text(value)
    if len(raw) > limit:
        raise Rejected(_("%(what)s超过 %(n)d 个字符") % {"what": what, "n": limit})
    return raw


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", text(raw))
    return digits.removeprefix("+86").removeprefix("0086")


def _phone(value) -> str:
    phone = normalise_phone(value)
    if phone and (not re.fullmatch(r"\+?\d{5,20}", phone) or len(phone) > PHONE_MAX):
        raise Rejected(_("电话号码无效：%(value)s") % {"value": text(value)})
    return phone


def _yes_no(value) -> bool | None:
    raw = text(value).lower()
    if not raw:
        return None
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise Rejected(_("是否同意公开电话应为 是 或 否：%(value)s") % {"value": raw})


def date_of_cell(value) -> dt.date | None:
    if isinstance(value, (dt.date, dt.datetime)) or value in (None, ""):
        return date_of(value)
    return date_of(text(value))


def _method(value) -> str:
    raw = text(value).lower()
    if not raw:
        return ""
    for word, method in _METHODS.items():
        if word in raw:
            return method
    raise Rejected(_("未知的同意方式：%(value)s（纸质、终端、当面、电话）") % {"value": raw})

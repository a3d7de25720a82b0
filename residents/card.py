"""Checking an ID-card reading against itself before anyone is linked to a room.

Every failure is a `CardError` whose message names the field and says what is wrong (Chinese
first, then English); the server answers it with HTTP 422.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from residents.ids import IdNumberError, validate_id_number
from residents.services import PersonData

NO_EXPIRY = "长期"


class CardError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@lru_cache(maxsize=1)
def nations() -> dict[str, str]:
    """GB/T 3304 nationality codes (56 nationalities, 97 other, 98 naturalised)."""
    with open(Path(__file__).parent / "data" / "gb3304_nations.csv", encoding="utf-8") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def _date(field: str, value: str, label: str) -> date:
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise CardError(field, _("%(label)s“%(value)s”不是日期") % {"label": label, "value": value}) from None


def validate(record, today: date) -> PersonData:
    """The person a record describes, or CardError. `record` is a kiosk.agent.record.CardRecord."""
    if not record.name:
        raise CardError("name", _("姓名为空"))
    try:
        id_number = validate_id_number(record.id_number)
    except IdNumberError as exc:
        raise CardError("id_number", str(exc)) from None
    if record.birth_date != id_number[6:14]:
        raise CardError("birth_date", _("出生日期 %(date)s 与身份证号（%(id_date)s）不符")
                        % {"date": record.birth_date, "id_date": id_number[6:14]})
    born = _date("birth_date", record.birth_date, pgettext("card field", "出生日期"))
    if born > today:
        raise CardError("birth_date", _("出生日期在未来"))
    if record.sex not in ("1", "2"):
        raise CardError("sex", _("性别代码“%(sex)s”无效（1 男，2 女）") % {"sex": record.sex})
    if int(id_number[16]) % 2 != (1 if record.sex == "1" else 0):
        raise CardError("sex", _("性别与身份证号第 17 位不符"))
    if record.nation not in nations() and not (record.card_type in ("J", "I") and record.nation == ""):
        raise CardError("nation", _("民族代码“%(nation)s”不在 GB/T 3304 中") % {"nation": record.nation})
    valid_from = _date("valid_from", record.valid_from, pgettext("card field", "有效期起始"))
    if valid_from > today:
        raise CardError("valid_from", _("证件 %(date)s 才生效") % {"date": record.valid_from})
    if valid_from < born:
        raise CardError("valid_from", _("证件签发早于出生日期"))
    if record.valid_to != NO_EXPIRY:
        valid_to = _date("valid_to", record.valid_to, pgettext("card field", "有效期截止"))
        if valid_to <= valid_from:
            raise CardError("valid_to", _("有效期截止早于起始"))
        if valid_to < today:
            raise CardError("valid_to", _("证件已于 %(date)s 过期") % {"date": record.valid_to})
    return PersonData(name=record.name, id_number=id_number, sex=record.sex, nation_code=record.nation,
                      address=record.address or None)

"""Checking an ID-card reading against itself before anyone is linked to a room.

Every failure is a `CardError` whose message names the field and says what is wrong (Chinese
first, then English); the server answers it with HTTP 422.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import lru_cache
from pathlib import Path

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
        raise CardError(field, f"{label}“{value}”不是日期 / {field} {value!r} is not a YYYYMMDD date") from None


def validate(record, today: date) -> PersonData:
    """The person a record describes, or CardError. `record` is a kiosk.agent.record.CardRecord."""
    if not record.name:
        raise CardError("name", "姓名为空 / the name is empty")
    try:
        id_number = validate_id_number(record.id_number)
    except IdNumberError as exc:
        raise CardError("id_number", str(exc)) from None
    if record.birth_date != id_number[6:14]:
        raise CardError("birth_date", f"出生日期 {record.birth_date} 与身份证号不符 / the birth date "
                        f"{record.birth_date} does not match the ID number ({id_number[6:14]})")
    born = _date("birth_date", record.birth_date, "出生日期")
    if born > today:
        raise CardError("birth_date", "出生日期在未来 / the birth date is in the future")
    if record.sex not in ("1", "2"):
        raise CardError("sex", f"性别代码“{record.sex}”无效（1 男，2 女）/ sex code {record.sex!r} is not 1 or 2")
    if int(id_number[16]) % 2 != (1 if record.sex == "1" else 0):
        raise CardError("sex", "性别与身份证号第 17 位不符 / the sex does not match the ID number's 17th digit")
    if record.nation not in nations() and not (record.card_type in ("J", "I") and record.nation == ""):
        raise CardError("nation", f"民族代码“{record.nation}”不在 GB/T 3304 中 / unknown nation code {record.nation!r}")
    valid_from = _date("valid_from", record.valid_from, "有效期起始")
    if valid_from > today:
        raise CardError("valid_from", f"证件 {record.valid_from} 才生效 / the card is not valid before {record.valid_from}")
    if valid_from < born:
        raise CardError("valid_from", "证件签发早于出生日期 / the card was issued before the holder was born")
    if record.valid_to != NO_EXPIRY:
        valid_to = _date("valid_to", record.valid_to, "有效期截止")
        if valid_to <= valid_from:
            raise CardError("valid_to", "有效期截止早于起始 / the card's validity ends before it starts")
        if valid_to < today:
            raise CardError("valid_to", f"证件已于 {record.valid_to} 过期 / the card expired on {record.valid_to}")
    return PersonData(name=record.name, id_number=id_number, sex=record.sex, nation_code=record.nation,
                      address=record.address or None)

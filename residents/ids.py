"""Resident ID numbers (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence,
ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHARS = "10X98765432"


class IdNumberError(ValueError):
    pass


def check_character(first17: str) -> str:
    return _CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def validate_id_number(value: str) -> str:
    """The normalised number (upper-case X), or IdNumberError saying what is wrong."""
    v = value.strip().upper()
    if len(v) != 18 or not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        raise IdNumberError(_("身份证号须为 17 位数字加 1 位校验码"))
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise IdNumberError(_("出生日期 %(date)s 无效") % {"date": v[6:14]}) from None
    expected = check_character(v[:17])
    if v[17] != expected:
        raise IdNumberError(_("校验码应为 %(expected)s") % {"expected": expected})
    return v

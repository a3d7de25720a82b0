"""Which building a register row means: its code, else its address — normalised, never guessed.

Addresses in registers mix full-width and half-width digits ("学府路１号"), write 号/栋/幢/座
interchangeably and add spaces or a building name in brackets. Both sides are normalised the
same way; a row that still matches nothing (or more than one building) is reported with the
nearest addresses as candidates, for the person to correct the file.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict

from django.utils.translation import gettext as _

from buildings.models import Building

CANDIDATES = 3


def normalise_address(address: str) -> str:
    text = unicodedata.normalize("NFKC", address or "").lower()
    text = re.sub(r"[(（\[【][^)）\]】]*[)）\]】]", "", text)  # "（东幢）", "(图书馆)"
    text = re.sub(r"[号栋幢座]", "号", text)
    text = re.sub(r"[\s,，。.、·\-－—]+", "", text)
    return text


def normalise_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code or "").strip().upper()


class BuildingIndex:
    """The buildings a register may name (all, or one community's), by code and by address."""

    def __init__(self, community_id: int | None = None):
        qs = Building.objects.all()
        if community_id is not None:
            qs = qs.filter(community_id=community_id)
        self.by_code: dict[str, tuple[int, int]] = {}
        self.by_address: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.labels: dict[str, str] = {}
        for pk, code, address, floors in qs.values_list("pk", "code", "address", "floors").iterator(chunk_size=5000):
            self.by_code[normalise_code(code)] = (pk, floors)
            if address:
                key = normalise_address(address)
                self.by_address[key].append((pk, floors))
                self.labels.setdefault(key, f"{code} {address}")
        self._keys = list(self.by_address)
        self._near: dict[str, list[str]] = {}

    def find(self, code: str, address: str) -> tuple[int, int]:
        """(building id, floors), or Rejected naming the nearest candidates."""
        from onboarding.errors import Rejected

        if code:
            found = self.by_code.get(normalise_code(code))
            if found:
                return found
            if not address:
                raise Rejected(_("没有编号为 %(code)s 的楼栋%(near)s")
                               % {"code": code, "near": self._nearest_codes(code)})
        key = normalise_address(address)
        matches = self.by_address.get(key, [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise Rejected(_("地址 %(address)s 对应 %(n)d 栋楼，请改用楼栋编号") % {"address": address, "n": len(matches)})
        raise Rejected(_("找不到地址为 %(address)s 的楼栋%(near)s") % {"address": address, "near": self._nearest(key)})

    def _nearest(self, key: str) -> str:
        if key not in self._near:
            self._near[key] = difflib.get_close_matches(key, self._keys, n=CANDIDATES, cutoff=0.5)
        near = [self.labels[k] for k in self._near[key]]
        return _("；最接近的：%(list)s") % {"list": "、".join(near)} if near else ""

    def _nearest_codes(self, code: str) -> str:
        near = difflib.get_close_matches(normalise_code(code), list(self.by_code), n=CANDIDATES, cutoff=0.5)
        return _("；最接近的：%(list)s") % {"list": "、".join(near)} if near else ""

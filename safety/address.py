"""Addresses as written by people and police systems, matched to our buildings.

Normalised form: Unicode NFKC (full-width digits, letters and brackets become half-width), no
white space, upper case, and the house-number words unified: 12号楼 / 12栋 / 12幢 / 12座 / 12號 →
12号. A written address matches a building when the normalised forms are equal, or when one is
the tail of the other (the file leaves out the city, or adds the province) and the cut falls
before a non-digit — "2号" never matches "12号". More than one building matching is an error,
never a guess.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict

_NUMBER_WORD = re.compile(r"(\d+)\s*(?:号楼|號樓|号|號|栋|棟|幢|座)")
_SPACE = re.compile(r"\s+")
MIN_TAIL = 4  # a tail shorter than this (e.g. "3号") says too little to pick a building


def normalise(address: str) -> str:
    s = unicodedata.normalize("NFKC", address or "")
    s = _SPACE.sub("", s).upper()
    return _NUMBER_WORD.sub(r"\1号", s)


class AddressIndex:
    """Every building's normalised address, for exact and tail look-ups without a query per row."""

    def __init__(self, rows):
        self.exact: dict[str, list[int]] = defaultdict(list)
        for building_id, address in rows:
            n = normalise(address)
            if n:
                self.exact[n].append(building_id)
        self._reversed = sorted(n[::-1] for n in self.exact)

    @classmethod
    def of_buildings(cls, queryset=None) -> AddressIndex:
        from buildings.models import Building

        qs = queryset if queryset is not None else Building.objects.all()
        return cls(qs.exclude(address="").values_list("id", "address").iterator(chunk_size=5000))

    def find(self, address: str) -> tuple[list[int], str]:
        """(building ids, how): one id is a match; none or several are for the caller to refuse."""
        n = normalise(address)
        if not n:
            return [], "empty"
        if n in self.exact:
            return list(self.exact[n]), "exact"
        if len(n) >= MIN_TAIL:
            ids = self._tail_of_building(n)
            if ids:
                return ids, "tail"
        for i in range(1, len(n) - MIN_TAIL + 1):  # the file adds a prefix (province, city …)
            tail = n[i:]
            if tail in self.exact and _cut_ok(n[i - 1], tail):
                return list(self.exact[tail]), "tail"
        return [], "none"

    def _tail_of_building(self, n: str) -> list[int]:
        r = n[::-1]
        lo = bisect.bisect_left(self._reversed, r)
        ids: list[int] = []
        for key in self._reversed[lo:]:
            if not key.startswith(r):
                break
            full = key[::-1]
            if len(full) == len(n) or _cut_ok(full[-len(n) - 1], n):
                ids += self.exact[full]
        return ids


def _cut_ok(before: str, tail: str) -> bool:
    """A tail may not split a number: "12号" is not "2号"."""
    return not (before.isdigit() and tail[:1].isdigit())

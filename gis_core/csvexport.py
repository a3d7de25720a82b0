"""CSV for spreadsheets, safely: every CSV (and any XLSX) export writes through `writer`.

A text cell that starts with = + - @ (or a tab / carriage return) is read by Excel, WPS and
LibreOffice as a formula — a camera named `=HYPERLINK(…)` would run in the reader's sheet.
Such cells get a leading apostrophe (OWASP's advice); numbers are written as they are.
"""

from __future__ import annotations

import csv

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, inner):
        self._inner = inner

    def writerow(self, row):
        if isinstance(row, dict):
            return self._inner.writerow({k: safe_cell(v) for k, v in row.items()})
        return self._inner.writerow([safe_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)

    def writeheader(self):
        return self._inner.writeheader()


def writer(stream, **kwargs):
    return _SafeWriter(csv.writer(stream, **kwargs))


def dict_writer(stream, fieldnames, **kwargs):
    return _SafeWriter(csv.DictWriter(stream, fieldnames, **kwargs))

"""Reading a register's cells: XLSX (openpyxl, streaming) or CSV in UTF-8 or GB18030, detected."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from django.utils.translation import gettext as _

from onboarding.errors import SourceUnreadable, UnknownLayer
from onboarding.source import guess_encoding

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".txt"}


def read_cells(path: str | os.PathLike, sheet: str | None = None) -> tuple[str, list[list], str]:
    """(sheet name or "csv", rows of cell values, encoding) of a local register file."""
    local = Path(os.fspath(path))
    if not local.is_file():
        raise SourceUnreadable(_("文件不存在：%(path)s") % {"path": local})
    suffix = local.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return *_xlsx(local, sheet), "xlsx"
    if suffix in CSV_SUFFIXES:
        encoding, text = _decoded(local.read_bytes())
        return "csv", _csv_rows(text), encoding
    if suffix == ".xls":
        raise SourceUnreadable(_("不支持旧版 .xls：请在 Excel 或 WPS 中另存为 .xlsx 或 CSV"))
    raise SourceUnreadable(_("只接受 .xlsx 或 .csv 文件：%(name)s") % {"name": local.name})


def _xlsx(path: Path, sheet: str | None) -> tuple[str, list[list]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — whatever openpyxl cannot parse is the file's fault, not ours
        raise SourceUnreadable(_("无法读取为 Excel 工作簿（.xlsx）：%(name)s") % {"name": path.name}) from exc
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in names:
            ws = book[sheet]
        else:
            raise UnknownLayer(_("没有工作表 %(sheet)s；工作簿中的工作表：%(names)s")
                               % {"sheet": sheet, "names": ", ".join(names)})
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
        return ws.title, rows
    finally:
        book.close()


def _decoded(data: bytes) -> tuple[str, str]:
    """CSV bytes as text: a BOM says UTF-8 or UTF-16 (Excel's "Unicode text"); else UTF-8 if it
    decodes, else GB18030 (what Chinese Excel writes unless told "CSV UTF-8")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8", data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16", errors="replace")
    encoding = guess_encoding([data])
    return encoding, data.decode(encoding, errors="replace")


def _csv_rows(text: str) -> list[list]:
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        return [row for row in csv.reader(io.StringIO(text.replace("\0", "")), dialect)]
    except csv.Error as exc:
        raise SourceUnreadable(_("无法读取为 CSV：%(error)s") % {"error": exc}) from exc

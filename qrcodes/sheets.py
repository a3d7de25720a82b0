"""Printable door-plate sheets: which buildings, and where each label goes on A4.

One layout, three outputs. Positions are computed here, in millimetres (labels 90 × 60 mm, two
across and four down on A4): the SVG sheet stacks the pages, the print page shows one SVG per
sheet of paper, and qrcodes.pdf draws the same positions with fpdf2. A label is the same on paper
whatever prints it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import segno
from django.utils.translation import gettext as _

from buildings.models import Building
from gis_core.errors import DomainError
from gis_core.models import Grid

PAGE_W, PAGE_H = 210, 297  # A4, mm
LABEL_W, LABEL_H = 90, 60
COLS, ROWS = 2, 4
MARGIN_X = (PAGE_W - COLS * LABEL_W) / 2
MARGIN_Y = (PAGE_H - ROWS * LABEL_H) / 2
QR_SIZE = 46  # mm, quiet zone included: ~1 mm modules, read by phones from a step away
QUIET_ZONE = 4  # modules, as the QR standard asks; part of the drawing, so a label's edge cannot eat it
QR_X, QR_Y = 2, (LABEL_H - QR_SIZE) / 2
TEXT_X = QR_X + QR_SIZE + 2
TEXT_W = LABEL_W - TEXT_X - 3
# A grid's worth of plates in one go, within a few seconds of PDF rendering.
MAX_LABELS = 400
# Printed on every plate in both languages, whatever the language of the staff member printing:
# the plate is read by every resident passing the door.
CAPTION = ("扫码查看空置房间", "Scan for vacant rooms")


def layout() -> dict:
    """The label geometry (mm) for the templates, so that it is written down once, here."""
    return {"page_w": PAGE_W, "page_h": PAGE_H, "label_w": LABEL_W, "label_h": LABEL_H, "per_page": COLS * ROWS,
            "qr_x": QR_X, "qr_y": QR_Y, "qr_size": QR_SIZE, "text_x": TEXT_X}


class SelectionError(DomainError):
    """A label sheet asked for buildings that cannot be chosen; answered by the error contract."""

    def __init__(self, message: str, status: int):
        super().__init__(message, status=status)


def select_buildings(params) -> list[Building]:
    """The buildings named by `?grid=<grid or mesh code>` or `?buildings=<code>,<code>`, by code."""
    grid_code = params.get("grid", "").strip()
    codes = [c.strip() for c in params.get("buildings", "").split(",") if c.strip()]
    if bool(grid_code) == bool(codes):
        raise SelectionError(_("请用 grid=网格编码 或 buildings=楼栋编码,楼栋编码 选择楼栋（二选一）"), 400)
    too_many = SelectionError(_("一次最多打印 %(n)d 个门牌，请按网眼分批") % {"n": MAX_LABELS}, 400)
    qs = Building.objects.select_related("community").order_by("code")
    if codes:
        if len(set(codes)) > MAX_LABELS:
            raise too_many
        buildings = list(qs.filter(code__in=codes))
        missing = sorted(set(codes) - {b.code for b in buildings})
        if missing:
            raise SelectionError(_("没有这些楼栋：%(codes)s")
                                 % {"codes": ", ".join(missing)}, 404)
        return buildings
    grid = Grid.objects.filter(code=grid_code).first()
    if grid is None:
        raise SelectionError(_("没有编码为 %(code)s 的网格") % {"code": grid_code}, 404)
    buildings = list(qs.in_grid(grid)[:MAX_LABELS + 1])
    if not buildings:
        raise SelectionError(_("网格 %(code)s 内没有楼栋") % {"code": grid_code}, 404)
    if len(buildings) > MAX_LABELS:
        raise too_many
    return buildings


@dataclass(frozen=True)
class Line:
    y: float
    size: float
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    url: str
    qr: segno.QRCode
    lines: list[Line]

    @property
    def qr_svg(self) -> str:
        """The code as inline SVG: a view box in modules, which the label sizes to QR_SIZE mm."""
        return self.qr.svg_inline(border=QUIET_ZONE, omitsize=True, dark="#000", light="#fff")


def _em(ch: str) -> float:
    """Rough advance width in ems: CJK is square, Latin about half."""
    return 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.56


def wrap(text: str, size: float, width: float, max_lines: int) -> list[str]:
    """Break `text` into lines of at most `width` mm at font size `size` mm; SVG text does not wrap."""
    lines, line, used = [], "", 0.0
    for ch in text:
        w = _em(ch) * size
        if line and used + w > width:
            lines.append(line)
            line, used = "", 0.0
        if line or not ch.isspace():
            line, used = line + ch, used + w
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _text_lines(building: Building) -> list[Line]:
    """Community, code (large), address, and what to do with the code, top to bottom."""
    return text_lines(building.community.name, building.code, building.address, CAPTION)


def text_lines(top: str, code: str, body: str, caption: tuple[str, str]) -> list[Line]:
    """A label's text: `top` (small), `code` (large), `body` (as many lines as fit) and the
    two-language caption at the bottom. Door plates and patrol-point plates (reports) share it."""
    lines, y = [], 9.0
    for text in wrap(top, 3.2, TEXT_W, 2):
        lines.append(Line(y, 3.2, text))
        y += 4.2
    y += 3.5
    for text in wrap(code, 5.5, TEXT_W, 2):
        lines.append(Line(y, 5.5, text, bold=True))
        y += 6.5
    y += 1.0
    caption_y = LABEL_H - 9
    # As many address lines as fit above the caption (a long community name or code leaves fewer).
    for text in wrap(body, 3.5, TEXT_W, max(1, int((caption_y - 4.5 - y) / 4.6) + 1)):
        lines.append(Line(y, 3.5, text))
        y += 4.6
    lines.append(Line(caption_y, 3.2, caption[0]))
    lines.append(Line(caption_y + 4, 2.6, caption[1]))
    return [Line(round(line.y, 2), line.size, line.text, line.bold) for line in lines]


@dataclass(frozen=True)
class Page:
    top: float  # mm from the top of the stacked SVG sheet
    labels: list[Label]


def label_pages(buildings: list, url_for, lines_for=None) -> list[Page]:
    """Labels placed on A4 pages; `url_for(item)` is the absolute URL each code encodes and
    `lines_for(item)` its text (default: a building's door plate)."""
    lines_for = lines_for or _text_lines
    per_page = COLS * ROWS
    pages = []
    for i, building in enumerate(buildings):
        slot = i % per_page
        if slot == 0:
            pages.append(Page(top=PAGE_H * len(pages), labels=[]))
        url = url_for(building)
        pages[-1].labels.append(Label(
            x=MARGIN_X + LABEL_W * (slot % COLS), y=MARGIN_Y + LABEL_H * (slot // COLS), url=url,
            # Level Q (25 % recoverable) for plates that get scratched and rained on; not boosted,
            # so every plate has the same density.
            qr=segno.make_qr(url, error="q", boost_error=False), lines=lines_for(building),
        ))
    return pages

"""The label sheet as PDF, drawn with fpdf2 at the positions qrcodes.sheets computed.

Pure Python and quick (a grid's 400 labels in a few seconds, most of it QR encoding). The
Chinese font is embedded as a subset, so whoever prints the file needs no font of their own:
Noto Sans CJK SC from Debian's fonts-noto-cjk, read straight from its OpenType collection.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from fpdf import FPDF

from qrcodes.sheets import LABEL_H, LABEL_W, QR_SIZE, QR_X, QR_Y, QUIET_ZONE, TEXT_X, Label, Page

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONTS = {"": FONT_DIR / "NotoSansCJK-Regular.ttc", "B": FONT_DIR / "NotoSansCJK-Bold.ttc"}
SC_FACE = 2  # faces in a Noto CJK collection: JP, KR, SC, TC, HK
PT_PER_MM = 72 / 25.4
INK, CUT_LINE = (29, 39, 51), (138, 150, 163)  # the SVG's #1d2733 and #8a96a3



def render(pages: list[Page], title: str) -> bytes:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    for style, path in FONTS.items():
        if not path.exists():
            raise ImproperlyConfigured(f"{path} is missing: install Debian's fonts-noto-cjk (scripts/deps.sh)")
        pdf.add_font("label", style=style, fname=path, collection_font_number=SC_FACE)
    for page in pages:
        pdf.add_page()
        for label in page.labels:
            _draw(pdf, label)
    return bytes(pdf.output())


def _draw(pdf: FPDF, label: Label) -> None:
    pdf.set_draw_color(*CUT_LINE)
    pdf.set_line_width(0.2)
    pdf.rect(label.x, label.y, LABEL_W, LABEL_H, style="D", round_corners=True, corner_radius=3)

    # The code: a filled rectangle per run of dark modules in a row; the quiet zone is the label's
    # white paper. (fpdf2's path API would make one shape, but copies the path at every step:
    # ten times slower for a few hundred labels.)
    module = QR_SIZE / label.qr.symbol_size(border=QUIET_ZONE)[0]
    left, top = label.x + QR_X, label.y + QR_Y
    pdf.set_fill_color(0)
    for r, row in enumerate(label.qr.matrix_iter(border=QUIET_ZONE)):
        c = 0
        for dark, run in groupby(row):
            n = len(list(run))
            if dark:
                pdf.rect(left + c * module, top + r * module, n * module, module, style="F")
            c += n

    pdf.set_text_color(*INK)
    for line in label.lines:
        pdf.set_font("label", "B" if line.bold else "", line.size * PT_PER_MM)
        pdf.text(label.x + TEXT_X, label.y + line.y, line.text)

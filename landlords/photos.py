"""Room photos as landlords upload them: checked, turned upright, resized and re-encoded without
EXIF (where and when it was taken, the camera) — only the pixels are kept (Pillow)."""

from __future__ import annotations

import io
import warnings

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gis_core.errors import PayloadTooLarge, Unprocessable

MAX_BYTES = 10 * 1024 * 1024          # the upload as sent
MAX_PIXELS = 40_000_000               # decoded size: refuses decompression bombs before decoding
LONG_SIDE = 1600                      # what a kiosk card or a phone shows, at most
QUALITY = 82
FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # what phones send (MPO: some cameras' JPEG)


def process(upload) -> tuple[bytes, int, int]:
    """(JPEG bytes, width, height) of an uploaded file; 413 when too big, 422 when not a photo."""
    size = getattr(upload, "size", None)
    if size is None or size > MAX_BYTES:
        raise PayloadTooLarge(_("照片不能超过 %(mb)d MB") % {"mb": MAX_BYTES // (1024 * 1024)})
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(_("照片不能超过 %(mb)d MB") % {"mb": MAX_BYTES // (1024 * 1024)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise Unprocessable(_("只能上传 JPEG、PNG 或 WebP 照片"))
            if image.width * image.height > MAX_PIXELS:
                raise PayloadTooLarge(_("照片像素过多（最多 4000 万像素）"))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge(_("照片像素过多（最多 4000 万像素）")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Unprocessable(_("无法识别为照片，请上传 JPEG、PNG 或 WebP 图片")) from None
    image = ImageOps.exif_transpose(image)  # upright as the camera meant, before EXIF is dropped
    image = image.convert("RGB")
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh image written without exif=, icc_profile= or comments: no metadata leaves with it.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    clean.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue(), clean.width, clean.height

"""Report photos: checked, resized and re-encoded so no EXIF (GPS, camera serial) survives."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gis_core.errors import BadRequest, PayloadTooLarge

MAX_PHOTOS = 3
MAX_BYTES = 8 * 1024 * 1024  # a phone camera's JPEG; larger is refused before decoding
MAX_PIXELS = 50_000_000  # decompression bombs
LONG_EDGE = 1600  # enough to see the problem, small enough to store and show
ACCEPTED = {"JPEG", "PNG", "WEBP"}


def clean(data: bytes) -> bytes:
    """Return a JPEG of at most LONG_EDGE pixels with no metadata, or raise a 4xx."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(_("照片不能超过 %(mb)d MB") % {"mb": MAX_BYTES // (1024 * 1024)})
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ACCEPTED:
            raise BadRequest(_("只接受 JPEG、PNG 或 WebP 照片"))
        if img.width * img.height > MAX_PIXELS:
            raise PayloadTooLarge(_("照片像素过多"))
        img.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise BadRequest(_("无法识别的图片文件")) from None
    # Apply the orientation tag before it is dropped, so the photo stays upright.
    img = ImageOps.exif_transpose(img).convert("RGB")
    img.thumbnail((LONG_EDGE, LONG_EDGE))
    out = io.BytesIO()
    # A fresh image carries no info dict: nothing of the original metadata is written.
    Image.frombytes("RGB", img.size, img.tobytes()).save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def clean_all(files: list[bytes]) -> list[bytes]:
    if len(files) > MAX_PHOTOS:
        raise BadRequest(_("最多 %(n)d 张照片") % {"n": MAX_PHOTOS})
    return [clean(f) for f in files]

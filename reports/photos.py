"""Report photos: checked, resized and re-encoded so no EXIF (GPS, camera serial) survives."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gis_core.errors import BadRequest, PayloadTooLarge

MAX_PHOTOS = 3
MAX_BYTES = 8 * 1024 * 1024  # a phone camera's JPEG; larger is refused before decoding
MAX_PIXELS = 50_000_000  # decompression bombs
LONG_EDGE = 2048  # enough to see the problem, small enough to store and show
# Pillow releases the GIL while it decodes and encodes: a submit's photos are cleaned side by side.
_pool = ThreadPoolExecutor(max_workers=MAX_PHOTOS, thread_name_prefix="report-photo")
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
        if img.format == "JPEG":
            # The decoder's own scaling (1/2, 1/4, 1/8 of the DCT) is the cheap way down: a 12 MP
            # phone photo comes out at 2016 × 1512 with no resampling pass. Smallest scale-down
            # that fits LONG_EDGE; draft picks the largest reduction whose size still covers this.
            scale = next((s for s in (1, 2, 4, 8) if max(img.size) <= LONG_EDGE * s), 8)
            img.draft("RGB", (-(-img.width // scale), -(-img.height // scale)))
        img.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise BadRequest(_("无法识别的图片文件")) from None
    # Apply the orientation tag before it is dropped, so the photo stays upright.
    ImageOps.exif_transpose(img, in_place=True)
    if img.mode != "RGB":
        img = img.convert("RGB")
    if max(img.size) > LONG_EDGE:  # not a JPEG, or larger than 8 × LONG_EDGE
        img.thumbnail((LONG_EDGE, LONG_EDGE))
    # The encoder writes metadata only from the info dict (comment, XMP) and its own arguments
    # (exif, icc_profile), none of which is given: nothing of the original survives.
    img.info = {}
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def clean_all(files: list[bytes]) -> list[bytes]:
    if len(files) > MAX_PHOTOS:
        raise BadRequest(_("最多 %(n)d 张照片") % {"n": MAX_PHOTOS})
    if len(files) < 2:
        return [clean(f) for f in files]
    return list(_pool.map(clean, files))  # the first bad photo's error is raised, as in order

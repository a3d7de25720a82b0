"""Report photos: checked cheaply on upload, cleaned later so no EXIF (GPS, camera serial) survives.

At submit (check/store): the size, the file's magic bytes and Pillow's lazy open (the header only:
format and dimensions, no pixel decoded) — a wrong header is a 4xx at once. The upload is stored
sealed in a pending ReportPhoto that nothing serves. The clock worker (`run_report_clock`, which
`make run` and compose start next to the web server) then decodes, resizes and re-encodes it
(clean_pending): the row is claimed with FOR UPDATE SKIP LOCKED and the cleaned photo replaces
the upload in the same transaction, so a crash leaves it pending for the next run and several
workers never clean the same row. A photo whose body does not decode is dropped, and the report's
time line says so (the reporter's page shows it).
"""

from __future__ import annotations

import io
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

from gis_core.errors import BadRequest, DomainError, PayloadTooLarge
from residents import crypto

log = logging.getLogger(__name__)

MAX_PHOTOS = 3
MAX_BYTES = 8 * 1024 * 1024  # a phone camera's JPEG; larger is refused before decoding
MAX_PIXELS = 50_000_000  # decompression bombs
LONG_EDGE = 2048  # enough to see the problem, small enough to store and show
# Pillow releases the GIL while it decodes and encodes: several photos are cleaned side by side.
_pool = ThreadPoolExecutor(max_workers=MAX_PHOTOS, thread_name_prefix="report-photo")
ACCEPTED = {"JPEG", "PNG", "WEBP"}
UPLOAD_FIELD = "report_photo_upload"  # the seal's context: an upload never opens as a cleaned photo

# Why the worker dropped a photo: stored untranslated on the time line, shown translated.
DROPPED_REASONS = {
    "decode": gettext_noop("照片内容损坏，无法处理，已删除"),
    "pixels": gettext_noop("照片像素过多，已删除"),
}


def _magic(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def check(data: bytes) -> None:
    """The cheap check at submit: size, magic bytes, and the header as Pillow reads it (format,
    dimensions) without decoding a pixel. Raises a 4xx."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(_("照片不能超过 %(mb)d MB") % {"mb": MAX_BYTES // (1024 * 1024)})
    magic = _magic(data)
    if magic is None:
        raise BadRequest(_("只接受 JPEG、PNG 或 WebP 照片"))
    try:
        with Image.open(io.BytesIO(data)) as img:  # lazy: reads the header only
            fmt, width, height = img.format, img.width, img.height
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise BadRequest(_("无法识别的图片文件")) from None
    if fmt != magic or fmt not in ACCEPTED:
        raise BadRequest(_("只接受 JPEG、PNG 或 WebP 照片"))
    if width * height > MAX_PIXELS:
        raise PayloadTooLarge(_("照片像素过多"))


def check_all(files: list[bytes]) -> list[bytes]:
    if len(files) > MAX_PHOTOS:
        raise BadRequest(_("最多 %(n)d 张照片") % {"n": MAX_PHOTOS})
    for data in files:
        check(data)
    return files


def store(report, files: list[bytes], kind: str = "report") -> None:
    """Pending rows for checked uploads (in the caller's transaction); the worker cleans them."""
    from reports.models import ReportPhoto

    ReportPhoto.objects.bulk_create(
        ReportPhoto(report=report, kind=kind, upload_sealed=crypto.seal(UPLOAD_FIELD, data)) for data in files)


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
        # Apply the orientation tag before it is dropped, so the photo stays upright.
        ImageOps.exif_transpose(img, in_place=True)
        if img.mode != "RGB":
            img = img.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise BadRequest(_("无法识别的图片文件")) from None
    if max(img.size) > LONG_EDGE:  # not a JPEG, or larger than 8 × LONG_EDGE
        img.thumbnail((LONG_EDGE, LONG_EDGE))
    # The encoder writes metadata only from the info dict (comment, XMP) and its own arguments
    # (exif, icc_profile), none of which is given: nothing of the original survives.
    img.info = {}
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def clean_all(files: list[bytes]) -> list[bytes]:
    """Check and clean at once (in-process callers with no worker in between, e.g. imports)."""
    check_all(files)
    if len(files) < 2:
        return [clean(f) for f in files]
    return list(_pool.map(clean, files))  # the first bad photo's error is raised, as in order


def _clean_or_reason(data: bytes) -> tuple[bytes | None, str]:
    try:
        return clean(data), ""
    except PayloadTooLarge:
        return None, "pixels"
    except DomainError:
        return None, "decode"


def clean_pending(limit: int = MAX_PHOTOS) -> int:
    """Clean up to `limit` pending photos (one transaction, rows claimed with SKIP LOCKED);
    returns how many were claimed. A photo that does not decode is deleted and its report's time
    line gets a `photo_dropped` event with the reason."""
    from reports.models import ReportEvent, ReportPhoto

    with transaction.atomic():
        rows = list(ReportPhoto.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("report").filter(upload_sealed__isnull=False).order_by("id")[:limit])
        if not rows:
            return 0
        uploads = [crypto.open_bytes(UPLOAD_FIELD, row.upload_sealed) for row in rows]
        results = list(_pool.map(_clean_or_reason, uploads)) if len(rows) > 1 else [_clean_or_reason(uploads[0])]
        dropped = []
        for row, (cleaned, why) in zip(rows, results):
            if cleaned is None:
                dropped.append(row)
                ReportEvent.objects.create(report=row.report, action="photo_dropped", status=row.report.status,
                                           level=row.report.level, reason=DROPPED_REASONS[why])
                log.info("report %s: photo %s dropped (%s)", row.report_id, row.pk, why)
            else:
                row.image_sealed, row.upload_sealed = crypto.seal("report_photo", cleaned), None
        ReportPhoto.objects.filter(pk__in=[r.pk for r in dropped]).delete()
        ReportPhoto.objects.bulk_update([r for r in rows if r not in dropped], ["image_sealed", "upload_sealed"])
    return len(rows)

"""Make a file safe before anyone sees it: the type from the content, images decoded and re-encoded
with no metadata at all (EXIF with its GPS position and camera serial, XMP, IPTC, maker notes, ICC) and
their EXIF orientation applied, PDFs refused when they hold active content, a SHA-256 of what is stored.

The image's size is read from its header and checked (``max_side``, ``max_pixels``) before a single
pixel is decoded; Pillow's own decompression-bomb guard stands behind that check. The GPS position, if
the photo has one, is read before stripping and returned apart (``Sanitised.gps``): a channel may
*offer* it as the complaint's location; it is never stored with the file. Blocking work: call it in a
thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

from lapor_shared.events.values import Reason
from lapor_shared.evidence import limits as why
from lapor_shared.evidence.limits import EvidenceLimits
from lapor_shared.evidence.pdf import PdfUnreadable, active_content
from lapor_shared.evidence.sniff import EXTENSIONS, sniff

pillow_heif.register_heif_opener()

_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF"}
_STORED_AS = {"image/jpeg": "image/jpeg", "image/png": "image/png", "image/webp": "image/webp",
              "image/heic": "image/jpeg"}
_GPS_IFD = 0x8825
THUMBNAIL_SIDE = 320


class Refused(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.code)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Sanitised:
    data: bytes
    media_type: str
    sha256: str
    gps: tuple[float, float] | None = None
    """(latitude, longitude) read before stripping; never stored with the file."""
    thumbnail: bytes | None = None
    """A small JPEG for lists (images only)."""

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.media_type]


def sanitise(data: bytes, limits: EvidenceLimits, *, number: int = 1, field: str = "files") -> Sanitised:
    """The file made safe, or ``Refused`` with the reason (``number`` is its place, for the message)."""
    if not data:
        raise Refused(why.empty(number, field))
    if len(data) > limits.max_file_bytes:
        raise Refused(why.too_large(number, limits.max_file_bytes, field))
    kind = sniff(data)
    if kind is None:
        raise Refused(why.unknown_type(number, field))
    if kind not in limits.accepted_types:
        raise Refused(why.type_refused(number, kind, field))
    if kind == "application/pdf":
        return _pdf(data, number, field)
    return _image(data, kind, limits, number, field)


def _pdf(data: bytes, number: int, field: str) -> Sanitised:
    try:
        active = active_content(data)
    except PdfUnreadable:
        raise Refused(why.unreadable(number, field)) from None
    if active is not None:
        raise Refused(why.active_pdf(number, active, field))
    return Sanitised(data, "application/pdf", hashlib.sha256(data).hexdigest())


def _image(data: bytes, kind: str, limits: EvidenceLimits, number: int, field: str) -> Sanitised:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[kind]])
            width, height = source.size  # from the header: nothing decoded yet
            if max(width, height) > limits.max_side or width * height > limits.max_pixels:
                raise Refused(why.image_too_big(number, width, height, field))
            gps = _gps(source)
            source.seek(0)  # the first frame of an animation
            upright = ImageOps.exif_transpose(source)
            clean = _fresh(upright)
    except Refused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Refused(why.image_too_big(number, field=field)) from None
    except Exception:  # Pillow's errors for damaged, truncated or bomb-like files are of many classes
        raise Refused(why.unreadable(number, field)) from None
    stored_as = _STORED_AS[kind]
    encoded = _encode(clean, stored_as)
    return Sanitised(encoded, stored_as, hashlib.sha256(encoded).hexdigest(), gps, _thumbnail(clean))


def _fresh(image: Image.Image) -> Image.Image:
    """The pixels alone, in a new image: no ``info`` (EXIF, XMP, IPTC, ICC, comments) comes along."""
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = image.mode in ("PA", "RGBa", "La") or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, media_type: str) -> bytes:
    out = io.BytesIO()
    if media_type == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=92, subsampling=0, optimize=True)  # 4:4:4: text in a photo stays sharp
    elif media_type == "image/png":
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=90)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def _gps(image: Image.Image) -> tuple[float, float] | None:
    """The photo's position from its EXIF GPS block, or None (none, or not a valid position)."""
    try:
        block = image.getexif().get_ifd(_GPS_IFD)
        lat = _degrees(block[2], block.get(1, "N"), "S")
        lon = _degrees(block[4], block.get(3, "E"), "W")
    except Exception:  # no GPS block, or one that does not parse: no position to offer
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0.0, 0.0):
        return round(lat, 6), round(lon, 6)
    return None


def _degrees(dms: tuple[float, float, float], ref: str | bytes, negative: str) -> float:
    degrees, minutes, seconds = (float(x) for x in dms)
    value = degrees + minutes / 60 + seconds / 3600
    ref_text = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref_text.strip().upper() == negative else value

"""Photos as phones make them, built here: EXIF with a GPS position, a camera serial and an orientation,
XMP and a comment, so the tests can show every one of them is gone after sanitising."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD, EXIF_IFD, ORIENTATION, BODY_SERIAL = 0x8825, 0x8769, 0x0112, 0xA431
POSITION = (-5.429167, 105.2625)  # Bandar Lampung: 5°25'45" S, 105°15'45" E
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="5,25.75S"/></rdf:RDF>'
       b'</x:xmpmeta>')


def pattern(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    """A picture whose pixels differ everywhere, so a turn or a mirror shows."""
    image = Image.new("RGB", (width, height))
    image.putdata([((x * 4) % 256, (y * 5) % 256, ((x + y) * 3) % 256) for y in range(height) for x in range(width)])
    return image.convert(mode)


def phone_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "KameraHP"  # Make
    exif[0x0110] = "HP-2026"  # Model
    exif[GPS_IFD] = {1: "S", 2: (5.0, 25.0, 45.0), 3: "E", 4: (105.0, 15.0, 45.0)}
    exif[EXIF_IFD] = {BODY_SERIAL: "SN-0012345678", 0x927C: b"MAKERNOTE-SECRET"}  # serial, maker note
    return exif


def encoded(image: Image.Image, fmt: str, *, orientation: int = 1, **options: object) -> bytes:
    out = io.BytesIO()
    extra = {"exif": phone_exif(orientation).tobytes()}
    if fmt == "JPEG":
        extra |= {"xmp": XMP, "comment": b"diambil di rumah pelapor", "quality": 95}
    image.save(out, fmt, **extra, **options)
    return out.getvalue()

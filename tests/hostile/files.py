"""Hostile files for the evidence uploads (issue 18): each must be refused with a reason or neutralised.

Built here rather than checked in, so the corpus shows what makes each file hostile. ``FILES`` maps a
name to (the bytes, the refusal code expected, or None for "neutralised": stored, but harmless).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

HOSTILE_FILE_NAME = "../../etc/passwd\x00\r\n\u202egpj.exe\\..\\foto.jpg"
"""Path separators of both kinds, a NUL, a line break and a right-to-left override: the gateway never
uses a sent name for anything."""


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def jpeg_claiming_a_huge_side() -> bytes:
    """A valid 16 × 16 JPEG whose frame header claims 65,535 × 65,535 pixels: the largest side a JPEG
    header can state (16 bits), so the issue's 10⁵ is claimed by the PNG below."""
    data = bytearray(small_jpeg())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 65535, 65535)
    return bytes(data)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, idat: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def png_claiming_a_huge_side() -> bytes:
    return png(100_000, 100_000, zlib.compress(b"\x00" * 1000))


def png_decompression_bomb() -> bytes:
    """10,000 × 10,000 grey pixels (100 MB once decoded) in about 100 KB of zeros."""
    width = height = 10_000
    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return png(width, height, idat)


def jpeg_zip_polyglot() -> bytes:
    """A JPEG with a ZIP archive after its end: image viewers show the photo, unzip finds a program."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.sh", "#!/bin/sh\necho pwned\n")
    return small_jpeg() + archive.getvalue()


def pdf_with(body: bytes) -> bytes:
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + body + b" >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def pdf_with_script_in_an_object_stream() -> bytes:
    hidden = zlib.compress(b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj")
    return (b"%PDF-1.7\n4 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length " + str(len(hidden)).encode()
            + b" >>\nstream\n" + hidden + b"\nendstream\nendobj\n" + pdf_with(b"/Names 3 0 R")[9:])


FILES: dict[str, tuple[bytes, str | None]] = {
    "jpeg_header_65535_side": (jpeg_claiming_a_huge_side(), "evidence_image_dimensions"),
    "png_header_100000_side": (png_claiming_a_huge_side(), "evidence_image_dimensions"),
    "png_decompression_bomb": (png_decompression_bomb(), "evidence_image_dimensions"),
    "jpeg_zip_polyglot": (jpeg_zip_polyglot(), None),
    "pdf_javascript_open_action": (pdf_with(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
                                   "evidence_pdf_active_content"),
    "pdf_javascript_name_escaped": (pdf_with(b"/OpenAction << /S /J#61vaScript /J#53 (x) >>"),
                                    "evidence_pdf_active_content"),
    "pdf_javascript_in_object_stream": (pdf_with_script_in_an_object_stream(), "evidence_pdf_active_content"),
    "pdf_launch": (pdf_with(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "evidence_pdf_active_content"),
    "pdf_embedded_file": (pdf_with(b"/Names << /EmbeddedFiles << /Names [] >> >>"), "evidence_pdf_active_content"),
    "pdf_acroform_script": (pdf_with(b"/AcroForm << /Fields [] >> /AA << /WC << /JS (x) >> >>"),
                            "evidence_pdf_active_content"),
    "zero_bytes": (b"", "evidence_empty"),
    "truncated_jpeg": (small_jpeg()[:200], "evidence_unreadable"),
    "html_named_jpg": (b"<html><script>alert(1)</script></html>", "evidence_type"),
    "zip_alone": (jpeg_zip_polyglot()[len(small_jpeg()):], "evidence_type"),
}

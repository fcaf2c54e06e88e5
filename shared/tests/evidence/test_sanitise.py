"""A stored image has no metadata left (read back with Pillow), the same pixels, the right way up; the
position a photo carried is only handed back apart; the type comes from the content, never the name."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, ImageChops, ImageStat

from lapor_shared.evidence import EvidenceLimits, Refused, sanitise
from shared.tests.evidence.images import GPS_IFD, POSITION, encoded, pattern

pytestmark = pytest.mark.unit
LIMITS = EvidenceLimits()


def _metadata_free(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(GPS_IFD) == {}
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "photoshop"):
        assert key not in image.info, key
    assert b"SN-0012345678" not in data and b"MAKERNOTE" not in data and b"KameraHP" not in data
    assert b"rumah pelapor" not in data and b"xmpmeta" not in data
    return image


def test_a_jpeg_loses_its_exif_gps_serial_xmp_and_comment_and_keeps_its_pixels():
    sent = encoded(pattern(), "JPEG")
    clean = sanitise(sent, LIMITS)

    stored = _metadata_free(clean.data)
    decoded = Image.open(io.BytesIO(sent)).convert("RGB")
    assert clean.media_type == "image/jpeg" and stored.format == "JPEG" and stored.size == decoded.size
    difference = ImageStat.Stat(ImageChops.difference(stored.convert("RGB"), decoded)).mean
    assert max(difference) < 2  # the decoded pixels, re-encoded: the same picture within JPEG's rounding
    assert clean.sha256 == hashlib.sha256(clean.data).hexdigest()


def test_a_png_is_stored_with_exactly_the_same_pixels_and_no_exif():
    original = pattern(mode="RGBA")
    clean = sanitise(encoded(original, "PNG"), LIMITS)

    stored = _metadata_free(clean.data)
    assert clean.media_type == "image/png"
    assert stored.convert("RGBA").tobytes() == original.tobytes()


def test_a_webp_loses_its_exif():
    clean = sanitise(encoded(pattern(), "WEBP", lossless=True), LIMITS)

    stored = _metadata_free(clean.data)
    assert clean.media_type == "image/webp" and stored.size == (64, 48)
    assert max(ImageStat.Stat(ImageChops.difference(stored.convert("RGB"), pattern())).mean) < 6  # lossy WebP


def test_the_exif_orientation_is_applied_to_the_pixels_before_it_is_dropped():
    original = pattern(64, 48)
    clean = sanitise(encoded(original, "PNG", orientation=6), LIMITS)  # 6: turn 90° clockwise to show

    stored = _metadata_free(clean.data)
    assert stored.size == (48, 64)
    assert stored.convert("RGB").tobytes() == original.transpose(Image.Transpose.ROTATE_270).tobytes()


def test_the_gps_position_is_read_before_stripping_and_returned_apart_from_the_file():
    clean = sanitise(encoded(pattern(), "JPEG"), LIMITS)

    assert clean.gps == pytest.approx(POSITION, abs=1e-5)
    assert Image.open(io.BytesIO(clean.data)).getexif().get_ifd(GPS_IFD) == {}


def test_a_photo_without_gps_offers_no_position():
    out = io.BytesIO()
    pattern().save(out, "JPEG")

    assert sanitise(out.getvalue(), LIMITS).gps is None


def test_an_image_gets_a_small_jpeg_thumbnail_without_metadata():
    clean = sanitise(encoded(pattern(1200, 900), "JPEG"), LIMITS)

    assert clean.thumbnail is not None
    thumb = _metadata_free(clean.thumbnail)
    assert thumb.format == "JPEG" and max(thumb.size) == 320


def test_the_type_is_decided_by_the_content_so_a_text_file_named_like_a_photo_is_refused():
    with pytest.raises(Refused) as refused:
        sanitise(b"<script>alert(1)</script> foto.jpg", LIMITS)

    assert refused.value.reason.code == "evidence_type"
    assert "JPEG" in refused.value.reason.message_id and "JPEG" in refused.value.reason.message_en


def test_a_type_the_settings_do_not_accept_is_refused_by_name():
    pdf_only = EvidenceLimits(accepted_types=("application/pdf",))

    with pytest.raises(Refused) as refused:
        sanitise(encoded(pattern(), "PNG"), pdf_only)

    assert refused.value.reason.code == "evidence_type_refused"


def test_a_file_over_the_size_limit_is_refused_before_it_is_decoded():
    with pytest.raises(Refused) as refused:
        sanitise(encoded(pattern(), "PNG"), EvidenceLimits(max_file_bytes=100), number=3)

    assert refused.value.reason.code == "evidence_too_large"
    assert "ke-3" in refused.value.reason.message_id and "File 3" in refused.value.reason.message_en


def test_a_plain_pdf_is_stored_as_sent():
    pdf = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
           b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

    clean = sanitise(pdf, LIMITS)

    assert clean.data == pdf and clean.media_type == "application/pdf" and clean.thumbnail is None


def test_a_heic_photo_is_stored_as_a_jpeg_without_its_gps_but_its_position_is_offered():
    clean = sanitise(encoded(pattern(), "HEIF", quality=90), LIMITS)

    stored = _metadata_free(clean.data)
    assert clean.media_type == "image/jpeg" and stored.format == "JPEG" and stored.size == (64, 48)
    assert clean.gps == pytest.approx(POSITION, abs=1e-5)


def test_an_image_larger_than_the_settings_allow_is_refused_from_its_header_with_its_size():
    with pytest.raises(Refused) as refused:
        sanitise(encoded(pattern(300, 20), "PNG"), EvidenceLimits(max_side=200))

    assert refused.value.reason.code == "evidence_image_dimensions"
    assert "300 × 20" in refused.value.reason.message_id and "300 × 20 pixels" in refused.value.reason.message_en

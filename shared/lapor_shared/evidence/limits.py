"""What an upload may be, as settings (``LAPOR_EVIDENCE__LIMITS__…``), and every refusal as a ``Reason``
in Bahasa Indonesia and English."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lapor_shared.events.values import Reason, reason

ALL_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf")


class EvidenceLimits(BaseModel):
    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    """Largest file, as sent (before sanitising)."""
    max_total_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    """All files of one complaint, response or reply together."""
    max_count: int = Field(default=5, ge=0)
    """Files per complaint, response or reply."""
    max_pixels: int = Field(default=40_000_000, ge=1)
    """Largest image, width × height, checked from the header before decoding (a 48 MP phone photo is
    about 8000 × 6000 = 48 M: raise it if such photos arrive)."""
    max_side: int = Field(default=12_000, ge=1)
    """Longest side in pixels, checked from the header before decoding."""
    accepted_types: tuple[str, ...] = ALL_TYPES
    """Types taken, decided from the content (magic bytes), never from the name."""

    def describe(self) -> dict[str, object]:
        """The limits as a client sees them (the upload slot's answer)."""
        return {"max_file_bytes": self.max_file_bytes, "max_total_bytes": self.max_total_bytes,
                "max_count": self.max_count, "accepted_types": list(self.accepted_types)}


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bita"


def too_large(number: int, limit: int, field: str = "files") -> Reason:
    return reason("evidence_too_large", field=field,
                  message_id=f"Berkas ke-{number} melebihi batas {_mb(limit)}.",
                  message_en=f"File {number} exceeds the limit of {_mb(limit).replace('bita', 'bytes')}.")


def total_too_large(limit: int, field: str = "files") -> Reason:
    return reason("evidence_total_too_large", field=field,
                  message_id=f"Jumlah ukuran berkas melebihi batas {_mb(limit)} per laporan.",
                  message_en=f"The files together exceed the limit of {_mb(limit).replace('bita', 'bytes')}.")


def too_many(limit: int, field: str = "files") -> Reason:
    return reason("evidence_too_many", field=field,
                  message_id=f"Paling banyak {limit} berkas per laporan.",
                  message_en=f"At most {limit} files per submission.")


def empty(number: int, field: str = "files") -> Reason:
    return reason("evidence_empty", field=field, message_id=f"Berkas ke-{number} kosong (0 bita).",
                  message_en=f"File {number} is empty (0 bytes).")


def unknown_type(number: int, field: str = "files") -> Reason:
    return reason("evidence_type", field=field,
                  message_id=f"Berkas ke-{number} bukan foto (JPEG, PNG, WebP, HEIC) atau PDF.",
                  message_en=f"File {number} is not a photo (JPEG, PNG, WebP, HEIC) or a PDF.")


def type_refused(number: int, media_type: str, field: str = "files") -> Reason:
    return reason("evidence_type_refused", field=field,
                  message_id=f"Berkas ke-{number} berjenis {media_type}, yang tidak diterima di sini.",
                  message_en=f"File {number} is of type {media_type}, which is not accepted here.")


def image_too_big(number: int, width: int | None = None, height: int | None = None, field: str = "files") -> Reason:
    size = f" ({width} × {height} piksel)" if width and height else ""
    return reason("evidence_image_dimensions", field=field,
                  message_id=f"Gambar ke-{number} terlalu besar{size}.",
                  message_en=f"Image {number} is too large{size.replace('piksel', 'pixels')}.")


def unreadable(number: int, field: str = "files") -> Reason:
    return reason("evidence_unreadable", field=field,
                  message_id=f"Berkas ke-{number} rusak atau tidak dapat dibaca.",
                  message_en=f"File {number} is damaged or cannot be read.")


def active_pdf(number: int, what: str, field: str = "files") -> Reason:
    return reason("evidence_pdf_active_content", field=field,
                  message_id=f"PDF ke-{number} berisi konten aktif ({what}); kirim PDF biasa atau foto dokumennya.",
                  message_en=f"PDF {number} contains active content ({what}); send a plain PDF or a photo of it.")


def unknown_upload(field: str = "uploads") -> Reason:
    return reason("evidence_unknown_upload", field=field,
                  message_id="Unggahan tidak dikenal, sudah kedaluwarsa, atau belum berisi berkas.",
                  message_en="Unknown or expired upload, or no file was sent to it.")

"""Files in the console (issue 18, docs/evidence.md): the complaint's, each response's and each reporter
reply's files shown to the officer's agency as short-lived signed links (audience ``agency:<id>``) to the
gateway's ``/bukti``, with the thumbnail beside each photo; and the files an officer attaches to a response,
sanitised and stored with the shared upload helper and claimed *before* the command that names them is
written to the outbox.

The console writes to the same object store as the gateway (which serves every file by its signed link
and sweeps what was uploaded and never claimed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import UploadFile
from starlette.requests import Request

from lapor_shared.events.values import Evidence, Reason
from lapor_shared.evidence import EvidenceSettings, EvidenceUploads, LinkSigner, ObjectNotFound, Refused
from lapor_shared.evidence import limits as why
from lapor_shared.http_limits import StreamedRoute
from lapor_shared.logging import get_logger

log = get_logger(component="console.evidence")

FORM_FIELDS_BYTES = 256_000
"""What the response form may carry beside its files (the text, the links, the note)."""
FILE_FIELD = "files"


class FilesRefused(ValueError):
    """The files cannot go with the command; ``reasons`` say why (Bahasa Indonesia and English each)."""

    def __init__(self, reasons: Sequence[Reason]) -> None:
        super().__init__("; ".join(r.code for r in reasons))
        self.reasons = list(reasons)

    @property
    def messages(self) -> list[tuple[str, str]]:
        return [(r.message_id, r.message_en) for r in self.reasons]


@dataclass
class ConsoleEvidence:
    settings: EvidenceSettings
    uploads: EvidenceUploads
    signer: LinkSigner

    @classmethod
    def from_settings(cls, settings: EvidenceSettings) -> ConsoleEvidence:
        uploads = EvidenceUploads(settings.store(), settings.limits, orphan_age_s=settings.orphan_age_s)
        return cls(settings, uploads, settings.signer())

    def streamed_routes(self) -> tuple[StreamedRoute, ...]:
        """The action forms with files (multipart): the guard counts their body instead of reading it whole,
        up to every file at its limit plus the text fields."""
        limits = self.settings.limits
        limit = min(limits.max_total_bytes, limits.max_count * limits.max_file_bytes) + FORM_FIELDS_BYTES
        return (StreamedRoute("/complaints/", ("POST",), limit, ("multipart/form-data",)),)

    # --- showing ----------------------------------------------------------------------------------

    def links(self, raw: Any, agency_id: str, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Each valid reference as ``{url, thumbnail_url (images), media_type, size_bytes}``, signed for the
        officer's agency; malformed references are left out."""
        now, audience = now or datetime.now(UTC), f"agency:{agency_id}"
        out = []
        for item in raw if isinstance(raw, list) else []:
            try:
                ref = Evidence.model_validate(item)
            except ValueError:
                continue
            doc: dict[str, Any] = {"url": self.signer.link(ref.object_id, audience=audience, now=now),
                                   "media_type": ref.media_type, "size_bytes": ref.size_bytes}
            if ref.media_type.startswith("image/"):
                doc["thumbnail_url"] = self.signer.link(ref.object_id, audience=audience, now=now, thumbnail=True)
            out.append(doc)
        return out

    def image_source(self) -> str:
        """What the complaint page's Content-Security-Policy must allow for the thumbnails: the gateway's origin."""
        parts = urlsplit(self.signer.base_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

    # --- taking files -----------------------------------------------------------------------------

    async def store(self, blobs: Sequence[bytes], *, scope: str) -> list[Evidence]:
        """Sanitise and store the files under ``incoming/`` (``scope``: the command's id, so the same form
        sent again names the same objects), or FilesRefused with every reason."""
        problems = self.uploads.check_set([len(b) for b in blobs], FILE_FIELD)
        if problems:
            raise FilesRefused(problems)
        stored, refused = [], []
        for number, blob in enumerate(blobs, 1):
            try:
                stored.append((await self.uploads.accept(blob, number=number, field=FILE_FIELD, scope=scope)).evidence)
            except Refused as exc:
                refused.append(exc.reason)
        if refused:
            log.info("evidence_refused", codes=[r.code for r in refused])
            raise FilesRefused(refused)
        return stored

    async def claim(self, items: Sequence[Evidence]) -> None:
        """Move the files under ``evidence/`` before the command naming them is written; FilesRefused when one
        was swept meanwhile (the officer sends the form again)."""
        try:
            await self.uploads.claim(items)
        except ObjectNotFound:
            raise FilesRefused([why.unknown_upload(FILE_FIELD)]) from None


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def files_of(form: Any, max_file_bytes: int) -> list[bytes]:
    """The chosen files of a parsed multipart form, each read at most one byte past the per-file limit (the
    sanitiser refuses it for its size); an empty file input (a nameless empty part) is skipped. The sent
    name and type are never used: the type comes from the bytes."""
    found = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) and name == FILE_FIELD and (value.filename or value.size):
            found.append(await value.read(max_file_bytes + 1))
    return found

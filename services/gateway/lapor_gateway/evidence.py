"""Files people attach, on every channel of the gateway: reading them from a multipart form without
holding the body whole (the guard counts it, ``http.streamed_routes``), storing them through the shared
upload helper (``lapor_shared.evidence``), and claiming them *before* the submission that names them is
published. The mobile app's two-step flow (``POST /api/v1/uploads``, ``PUT /api/v1/uploads/{id}``) and
serving a file by its signed link (``GET /bukti/{id}``) are in ``evidence_http``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from starlette.datastructures import UploadFile
from starlette.requests import Request

from lapor_gateway.contract import SubmissionProblem
from lapor_gateway.evidence_retention import expire_archived, record_claim, settle_claims
from lapor_shared.background import BackgroundLoop
from lapor_shared.events.intake import ComplaintSubmitted
from lapor_shared.events.values import Evidence
from lapor_shared.evidence import EvidenceSettings, EvidenceUploads, LinkSigner, ObjectNotFound, Refused, Uploaded
from lapor_shared.evidence import limits as why
from lapor_shared.http_guard import check_fields
from lapor_shared.logging import get_logger

log = get_logger(component="gateway.evidence")

FORM_FIELDS_BYTES = 256_000
"""What a multipart form may carry beside its files (its text fields)."""


@dataclass
class GatewayEvidence:
    settings: EvidenceSettings
    uploads: EvidenceUploads
    signer: LinkSigner

    @classmethod
    def from_settings(cls, settings: EvidenceSettings) -> GatewayEvidence:
        uploads = EvidenceUploads(settings.store(), settings.limits, orphan_age_s=settings.orphan_age_s)
        return cls(settings, uploads, settings.signer())

    def multipart_limit(self) -> int:
        """The largest multipart body with files: every file at its limit, plus the text fields."""
        limits = self.settings.limits
        return min(limits.max_total_bytes, limits.max_count * limits.max_file_bytes) + FORM_FIELDS_BYTES

    def sweeper(self, pool: Callable[[], asyncpg.Pool]) -> BackgroundLoop:
        """Deletes uploads no submission named, ``orphan_age_s`` after they were written, and an archived
        complaint's files once their retention ends (``evidence_retention``)."""
        async def step() -> bool:
            swept = await self.uploads.sweep()
            if swept:
                log.info("evidence_orphans_swept", count=swept)
            await settle_claims(pool(), self.uploads, orphan_age_s=self.settings.orphan_age_s)
            before = datetime.now(UTC) - timedelta(seconds=self.settings.archived_retention_s)
            return await expire_archived(pool(), self.uploads, archived_before=before) > 0

        return BackgroundLoop("evidence-sweep", step, idle_s=self.settings.sweep_interval_s,
                              failure_event="evidence_sweep_failed", log=log)


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def form_and_files(request: Request, evidence: GatewayEvidence, *, file_fields: Sequence[str] = ("files",)
                         ) -> tuple[dict[str, str], list[bytes]]:
    """The text fields (last value of a repeated name) and the files of a multipart form.

    The parser spools each file to a temporary file past 1 MB; a file is read back at most one byte past
    the per-file limit (the sanitiser refuses it for its size). A file's sent name and type are never
    used: the type comes from its bytes. An empty file input (no file chosen) is skipped."""
    limits = evidence.settings.limits
    form = await request.form(max_files=limits.max_count + 1, max_fields=200)
    try:
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        refusal = check_fields(pairs, "body")
        if refusal is not None:
            raise refusal
        blobs = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile) and name in file_fields:
                if not value.filename and not value.size:
                    continue
                blobs.append(await value.read(limits.max_file_bytes + 1))
        return dict(pairs), blobs
    finally:
        await form.close()


def _reason_dicts(reasons: Sequence[Any]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in reasons]


async def store_files(evidence: GatewayEvidence, blobs: Sequence[bytes], *, scope: str, field: str = "files"
                      ) -> list[Evidence]:
    """Sanitise and store the files (under ``incoming/``), or SubmissionProblem with every reason."""
    return [u.evidence for u in await _store(evidence, blobs, scope=scope, field=field)]


async def _store(evidence: GatewayEvidence, blobs: Sequence[bytes], *, scope: str, field: str = "files"
                 ) -> list[Uploaded]:
    problems = evidence.uploads.check_set([len(b) for b in blobs], field)
    if problems:
        raise SubmissionProblem(_reason_dicts(problems))
    stored, refused = [], []
    for number, blob in enumerate(blobs, 1):
        try:
            stored.append(await evidence.uploads.accept(blob, number=number, field=field, scope=scope))
        except Refused as exc:
            refused.append(exc.reason)
    if refused:
        log.info("evidence_refused", codes=[r.code for r in refused])
        raise SubmissionProblem(_reason_dicts(refused))
    return stored


async def from_slots(evidence: GatewayEvidence, slots: Any) -> list[Evidence]:
    """What the named upload slots hold, or SubmissionProblem (unknown, expired or empty slot)."""
    if not isinstance(slots, list) or not all(isinstance(s, str) for s in slots):
        raise SubmissionProblem(_reason_dicts([why.unknown_upload()]))
    problems = evidence.uploads.check_set([0] * len(slots), "uploads")
    if problems:
        raise SubmissionProblem(_reason_dicts(problems))
    try:
        found = await evidence.uploads.slot_evidence(slots)
    except Refused as exc:
        raise SubmissionProblem(_reason_dicts([exc.reason])) from None
    total = evidence.uploads.check_set([e.size_bytes for e in found], "uploads")
    if total:
        raise SubmissionProblem(_reason_dicts(total))
    return found


async def claim(evidence: GatewayEvidence, items: Sequence[Evidence],
                submission: ComplaintSubmitted | None = None) -> None:
    """Move the files out of ``incoming/`` before the event that names them is published; a file swept
    meanwhile is SubmissionProblem (the client uploads it again). For a ``submission``, a claim record is
    kept beside them, so the files of one intake then rejects are deleted (``evidence_retention``)."""
    if not items:
        return
    if submission is not None:
        await record_claim(evidence.uploads, str(submission.channel), submission.channel_message_id, items)
    try:
        await evidence.uploads.claim(items)
    except ObjectNotFound:
        raise SubmissionProblem(_reason_dicts([why.unknown_upload("files")])) from None


async def attach(evidence: GatewayEvidence, data: dict[str, Any], *, files: Sequence[bytes] = (), slots: Any = None,
                 scope: str) -> tuple[float, float] | None:
    """Put the stored files' references into a submission's ``data`` (``evidence``), from files sent
    with it and upload slots it names; a client's own ``evidence`` is dropped (only the gateway names
    stored objects). SubmissionProblem with the reasons when a file or slot is refused. Returns the first
    position a sent photo carried (to be used only when the reporter asked for it), else None."""
    data.pop("evidence", None)
    items = await from_slots(evidence, slots) if slots is not None else []
    uploaded = await _store(evidence, files, scope=scope) if files else []
    items += [u.evidence for u in uploaded]
    problems = evidence.uploads.check_set([e.size_bytes for e in items])
    if problems:
        raise SubmissionProblem(_reason_dicts(problems))
    if items:
        data["evidence"] = [e.model_dump() for e in items]
    return next((u.gps for u in uploaded if u.gps is not None), None)


async def with_media(evidence: GatewayEvidence, submission: ComplaintSubmitted, media: Sequence[bytes]
                     ) -> ComplaintSubmitted:
    """Open311's ``media`` files stored, claimed and named by the submission (SubmissionProblem if refused)."""
    items = await store_files(evidence, media, scope=submission.channel_message_id, field="media")
    submission = submission.model_copy(update={"evidence": items})
    await claim(evidence, items, submission)
    return submission

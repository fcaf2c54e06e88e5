"""The upload helper every channel calls (the gateway's web form, API and Open311 today, the officer
console tomorrow): sanitise, store under ``incoming/``, and when the message that names the files is
about to be published, ``claim`` them (moved under ``evidence/``) *before* it is published. What was
never claimed is swept after ``orphan_age_s``; what a retention rule ends is ``remove``-d.

The two-step flow of the mobile app keeps a small slot record beside the files: ``open_slot`` gives an
unguessable id, ``fill_slot`` stores the file sent to it, ``slot_evidence`` reads what the slots hold.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from lapor_shared.events.values import Evidence, Reason
from lapor_shared.evidence import limits as why
from lapor_shared.evidence.limits import EvidenceLimits
from lapor_shared.evidence.sanitise import Refused, sanitise
from lapor_shared.evidence.store import ObjectNotFound, ObjectStore

INCOMING, STORED = "incoming", "evidence"
_SLOT = re.compile(r"^[0-9a-f]{32}$")
DECODING_AT_ONCE = 2
"""Files sanitised at the same time by one process (the others wait their turn)."""


def thumbnail_key(prefix: str, object_id: str) -> str:
    return f"{prefix}/{object_id}.thumb.jpg"


@dataclass(frozen=True, slots=True)
class Uploaded:
    evidence: Evidence
    gps: tuple[float, float] | None
    """The photo's position, read before stripping: offer it, never use it silently."""


class EvidenceUploads:
    def __init__(self, store: ObjectStore, limits: EvidenceLimits, *, orphan_age_s: float = 24 * 3600.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.limits, self.orphan_age_s, self.clock = store, limits, orphan_age_s, clock
        self._decoding = asyncio.Semaphore(DECODING_AT_ONCE)

    async def accept(self, data: bytes, *, number: int = 1, field: str = "files", scope: str | None = None
                     ) -> Uploaded:
        """Sanitise and store one file under ``incoming/``; ``Refused`` (with its reason) otherwise.

        ``scope`` (a channel message id, a slot id) makes the object id depend on it and on the stored
        bytes only, so a client that sends the same form again names the same objects (its idempotency
        key still matches); without it the id is random."""
        async with self._decoding:  # a 40 MP image is ~160 MB decoded: a few at a time per process
            clean = await asyncio.to_thread(sanitise, data, self.limits, number=number, field=field)
        name = hashlib.sha256(f"{scope}\n{clean.sha256}".encode()).hexdigest()[:32] if scope else uuid4().hex
        object_id = f"{name}.{clean.extension}"
        if clean.thumbnail is not None:
            await self.store.put(thumbnail_key(INCOMING, object_id), clean.thumbnail)
        await self.store.put(f"{INCOMING}/{object_id}", clean.data)
        evidence = Evidence(object_id=object_id, media_type=clean.media_type, size_bytes=len(clean.data),
                            sha256=clean.sha256)
        return Uploaded(evidence, clean.gps)

    def check_set(self, sizes: Sequence[int], field: str = "files") -> list[Reason]:
        """Why these files may not go together (count, total size), before any is read whole."""
        problems = []
        if len(sizes) > self.limits.max_count:
            problems.append(why.too_many(self.limits.max_count, field))
        if sum(sizes) > self.limits.max_total_bytes:
            problems.append(why.total_too_large(self.limits.max_total_bytes, field))
        return problems

    async def claim(self, evidence: Sequence[Evidence]) -> None:
        """Move the files under ``evidence/`` (again is harmless); ObjectNotFound when one is gone."""
        for item in evidence:
            for name in (item.object_id, f"{item.object_id}.thumb.jpg"):
                source, target = f"{INCOMING}/{name}", f"{STORED}/{name}"
                try:
                    await self.store.put(target, await self.store.get(source))
                except ObjectNotFound:
                    if name == item.object_id and not await self.store.exists(target):
                        raise
                    continue
                await self.store.delete(source)

    async def remove(self, evidence: Sequence[Evidence]) -> None:
        """Delete stored files and their thumbnails (retention, erasure)."""
        for item in evidence:
            for prefix in (STORED, INCOMING):
                await self.store.delete(f"{prefix}/{item.object_id}")
                await self.store.delete(thumbnail_key(prefix, item.object_id))

    async def sweep(self) -> int:
        """Delete what was uploaded and never claimed, ``orphan_age_s`` after it was written."""
        before = self.clock() - timedelta(seconds=self.orphan_age_s)
        orphans = await self.store.list_older_than(INCOMING, before)
        for key in orphans:
            await self.store.delete(key)
        return len(orphans)

    # --- the two-step flow ------------------------------------------------------------------------

    async def open_slot(self) -> str:
        slot = uuid4().hex
        record = {"opened_at": self.clock().isoformat()}
        await self.store.put(f"{INCOMING}/slots/{slot}.json", json.dumps(record).encode())
        return slot

    async def _slot(self, slot: str) -> dict[str, object]:
        if not _SLOT.match(slot):
            raise ObjectNotFound(slot)
        record: dict[str, object] = json.loads(await self.store.get(f"{INCOMING}/slots/{slot}.json"))
        return record

    async def fill_slot(self, slot: str, data: bytes) -> Uploaded:
        """Store the file sent to an open slot (ObjectNotFound: no such slot, or it was swept)."""
        record = await self._slot(slot)
        if "evidence" in record:
            raise Refused(why.unknown_upload())  # a slot takes one file
        uploaded = await self.accept(data, field="file", scope=slot)
        record["evidence"] = uploaded.evidence.model_dump()
        await self.store.put(f"{INCOMING}/slots/{slot}.json", json.dumps(record).encode())
        return uploaded

    async def slot_evidence(self, slots: Sequence[str], field: str = "uploads") -> list[Evidence]:
        """What the slots hold, in order; ``Refused`` when one is unknown, swept or still empty."""
        found = []
        for slot in slots:
            try:
                record = await self._slot(slot)
            except (ObjectNotFound, ValueError):
                raise Refused(why.unknown_upload(field)) from None
            if "evidence" not in record:
                raise Refused(why.unknown_upload(field))
            found.append(Evidence.model_validate(record["evidence"]))
        return found

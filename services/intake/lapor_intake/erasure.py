"""Erasing a reporter's contact details on an admin's request (``reporter.erase_contact``, admin side).

Every contact row of the same person goes, only the opaque refs remain, and notify is told to delete its
copies; the complaint the command names must be in the admin's scope (``lapor_shared.binding``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from lapor_intake import repository, tracking
from lapor_intake.contacts import Identity
from lapor_shared import binding
from lapor_shared.consumer import Tx
from lapor_shared.db import Conn
from lapor_shared.events import Envelope
from lapor_shared.events.intake import EraseReporterContact, ReporterContactErased
from lapor_shared.events.lifecycle import ActionRejected
from lapor_shared.events.values import Reason, reason
from lapor_shared.logging import get_logger

log = get_logger(component="intake")


async def erase_contact(tx: Tx, envelope: Envelope[Any]) -> None:
    """Forget a reporter's contact details on an admin's request: every contact row of the same person
    (same phone number or e-mail address) is deleted, only the opaque refs remain, and notify is told
    (``reporter.contact_erased``) to delete its copies. Erasing twice confirms the first erasure. The
    complaint the command names (by tracking number or by its reporter's ref) must be in the admin's
    scope (the topic it came on), as routing last placed it; before routing has, only the nation's."""
    command: EraseReporterContact = envelope.payload
    reporter_ref, refusal, jurisdiction_code = await _erasure_target(tx.conn, command)
    if refusal is None and await binding.refused_outside_scope(tx, envelope, jurisdiction_code):
        return
    if refusal is not None:
        # to the complaint stream only: the command's own jurisdiction claim must not pick the topic
        rejection = ActionRejected(command_type=command.event_type, command_id=envelope.event_id, reason=refusal)
        await tx.emit(rejection, caused_by=None, complaint_id=envelope.complaint_id,
                      tracking_number=envelope.tracking_number, correlation_id=envelope.correlation_id,
                      causation_id=envelope.event_id)
        log.info("erasure_refused", code=refusal.code)
        return
    assert reporter_ref is not None
    target = await repository.find_reporter(tx.conn, reporter_ref)
    if target is not None:  # wait for any acceptance of the same person in flight, so its row is erased too
        identity = Identity(phone_hash=target["phone_hash"], email_hash=target["email_hash"])
        await repository.lock_identity(tx.conn, identity.lock_keys)
    rows = await repository.lock_reporters_of_same_person(tx.conn, reporter_ref)
    if not rows:
        previous = await repository.find_erasure(tx.conn, reporter_ref)
        erased_at = previous["erased_at"] if previous else datetime.now(UTC)
        complaint_id = previous["complaint_id"] if previous else None
        await repository.erase_reporters(tx.conn, [reporter_ref], [], envelope.event_id)
        await tx.emit(ReporterContactErased(reporter_ref=reporter_ref, erased_at=erased_at), complaint_id=complaint_id)
        log.info("contact_already_erased")
        return
    hashes = sorted({h for r in rows for h in (r["phone_hash"], r["email_hash"]) if h is not None})
    erased_at = await repository.erase_reporters(tx.conn, [r["reporter_ref"] for r in rows], hashes, envelope.event_id)
    for row in rows:
        await tx.emit(
            ReporterContactErased(reporter_ref=row["reporter_ref"], erased_at=erased_at),
            complaint_id=row["complaint_id"],
            tracking_number=row["tracking_number"],
        )
    log.info("contact_erased", reporters=len(rows))


async def _erasure_target(
    conn: Conn, command: EraseReporterContact
) -> tuple[UUID | None, Reason | None, str | None]:
    """(the reporter to erase, or why not; the jurisdiction of the complaint the command names)."""
    if command.reporter_ref is not None:
        if not await repository.reporter_ref_known(conn, command.reporter_ref):
            return None, reason(
                "unknown_reporter", field="reporter_ref", message_id="Pelapor tidak dikenal.",
                message_en="The reporter is unknown.",
            ), None
        return command.reporter_ref, None, await repository.jurisdiction_of_reporter(conn, command.reporter_ref)
    if command.tracking_number:
        try:
            canonical = tracking.normalise(command.tracking_number)
        except tracking.InvalidTrackingNumber as exc:
            return None, exc.reason, None
        complaint = await repository.complaint_of_tracking(conn, canonical)
        if complaint is None:
            return None, reason(
                "unknown_complaint", field="tracking_number",
                message_id="Laporan dengan nomor pelacakan itu tidak ada.",
                message_en="There is no complaint with that tracking number.",
            ), None
        if complaint["reporter_ref"] is None:
            return None, reason(
                "no_contact", field="tracking_number", message_id="Laporan ini tidak menyimpan data kontak pelapor.",
                message_en="This complaint holds no contact details of its reporter.",
            ), complaint["jurisdiction_code"]
        return complaint["reporter_ref"], None, complaint["jurisdiction_code"]
    return None, reason(
        "target_required", field="reporter_ref", message_id="Sebutkan reporter_ref atau nomor pelacakan.",
        message_en="Give a reporter_ref or a tracking number.",
    ), None

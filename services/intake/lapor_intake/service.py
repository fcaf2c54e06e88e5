"""Intake's use cases: accept a submission (or reject it with reasons), erase a reporter's contact, and
remember where routing placed each complaint (whose admins may ask for that erasure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from lapor_intake import duplicates, ratelimit, repository, tracking
from lapor_intake.contacts import Identity, IdentityHasher
from lapor_intake.duplicates import DuplicatePolicy
from lapor_intake.ratelimit import Limits
from lapor_intake.settings import IntakeSettings
from lapor_intake.validation import Policy, check
from lapor_shared.consumer import Tx
from lapor_shared.crypto import ContactCipher
from lapor_shared.events import Envelope
from lapor_shared.events.intake import (
    ComplaintAccepted,
    ComplaintRejected,
    ComplaintSubmitted,
    ReporterContactShared,
    SubmissionAccepted,
)
from lapor_shared.events.values import Reason, ReporterContact, ReportType
from lapor_shared.logging import get_logger
from lapor_shared.reporter_proof import issue as issue_reporter_key

log = get_logger(component="intake")



@dataclass(frozen=True)
class Context:
    """What the use cases need besides the transaction, built once from the settings."""

    cipher: ContactCipher
    hasher: IdentityHasher
    policy: Policy = field(default_factory=Policy)
    limits: Limits = field(default_factory=Limits)
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> Context:
        return cls(
            cipher=ContactCipher.from_setting(settings.contact_keys),
            hasher=IdentityHasher(settings.reporter_hash_key),
            policy=Policy.from_settings(settings),
            limits=Limits(
                reporter_limit=settings.reporter_rate_limit,
                reporter_window_s=settings.reporter_rate_window_s,
                channel_limit=settings.channel_rate_limit,
                channel_window_s=settings.channel_rate_window_s,
            ),
            duplicates=DuplicatePolicy(window_s=settings.duplicate_window_s, similarity=settings.duplicate_similarity),
        )

    @property
    def activity_kept_s(self) -> int:
        return max(self.limits.reporter_window_s, self.duplicates.window_s)


# --- accepting submissions -------------------------------------------------------------------


async def accept_submission(tx: Tx, envelope: Envelope[Any], *, ctx: Context) -> None:
    """Turn a channel submission into exactly one complaint, or into a rejection with reasons.

    Order matters: every check comes before the first write, and the complaint row (guarded by the
    UNIQUE (channel, channel_message_id) constraint) is the first write, so the loser of a race
    between two deliveries of one channel message writes and emits nothing.
    """
    submission: ComplaintSubmitted = envelope.payload
    channel, message_id = str(submission.channel), submission.channel_message_id
    checked = check(submission, now=datetime.now(UTC), policy=ctx.policy)
    if not checked.ok:
        await reject(tx, channel, message_id, checked.problems)
        return

    identity = ctx.hasher.identity(checked.contact)
    if identity:
        await repository.lock_identity(tx.conn, identity.lock_keys)
    title, description = submission.title.strip(), submission.description.strip()
    text_fingerprint = duplicates.fingerprint(title, description)
    facts = await repository.admission(
        tx.conn, channel=channel, channel_message_id=message_id, hashes=identity.hashes,
        reporter_window_s=ctx.limits.reporter_window_s, channel_window_s=ctx.limits.channel_window_s,
        duplicate_window_s=ctx.duplicates.window_s,
        text_fingerprint=text_fingerprint, similarity=ctx.duplicates.similarity,
    )
    if facts.already_made:
        log.info("submission_already_accepted", channel=channel)
        return
    limited = ratelimit.exceeded(ctx.limits, facts)
    if limited is not None:
        await reject(tx, channel, message_id, [limited])
        return

    earlier = facts.similar
    complaint_id = uuid4()
    reporter_ref = uuid4() if checked.contact is not None else None

    async def insert(number: str) -> bool:
        return await repository.insert_complaint(
            tx.conn,
            complaint_id=complaint_id,
            tracking_number=number,
            channel=channel,
            channel_message_id=message_id,
            report_type=submission.report_type,
            title=title,
            region_code=submission.location.region_code,
            anonymous=submission.anonymous,
            confidential=submission.confidential,
            reporter_ref=reporter_ref,
            submitted_at=submission.submitted_at,
            text_fingerprint=text_fingerprint,
            possible_duplicate_of=earlier,
            submission_event_id=envelope.event_id,
            channel_window_s=ctx.limits.channel_window_s,
        )

    async def already_made() -> bool:
        return await repository.find_by_channel_message(tx.conn, channel, message_id) is not None

    tracking_number = await tracking.insert_numbered(insert, already_made)
    if tracking_number is None:
        log.info("submission_already_accepted", channel=channel)
        return
    if identity:
        await repository.record_activity(tx.conn, identity.hashes, complaint_id)
    reporter_key = issue_reporter_key()  # intake keeps no copy: the channel shows it, notify sends it
    shared = None
    if reporter_ref is not None and checked.contact is not None:
        shared = await _keep_contact(tx, ctx, reporter_ref, checked.contact, identity, submission.anonymous,
                                     str(submission.channel), reporter_key)
    ids: dict[str, Any] = {"complaint_id": complaint_id, "tracking_number": tracking_number}
    accepted = ComplaintAccepted(
        channel=submission.channel,
        channel_message_id=message_id,
        report_type=ReportType(submission.report_type),
        title=title,
        description=description,
        incident_date=submission.incident_date,
        location=submission.location,
        category_hint=_stripped(submission.category_hint),
        target_agency_hint=_stripped(submission.target_agency_hint),
        attachments=submission.attachments,
        evidence=submission.evidence,
        reporter_ref=None if submission.anonymous else reporter_ref,
        anonymous=submission.anonymous,
        confidential=submission.confidential,
        submitted_at=submission.submitted_at,
        possible_duplicate_of=earlier,
    )
    answer = SubmissionAccepted(  # the channel's answer: no content, the reporter's proof
        channel=submission.channel, channel_message_id=message_id, complaint_id=complaint_id,
        tracking_number=tracking_number, reporter_key=reporter_key,
        reporter_phone_hash=identity.phone_hash.hex() if identity.phone_hash else None,
    )
    # the contact first (notify keeps it before the acceptance asks for it), then the complaint, then the
    # channel's answer: one outbox statement, in this order
    await tx.add_many([
        *([tx.envelope(shared, **ids)] if shared is not None else []),
        tx.envelope(accepted, jurisdiction_code=submission.location.region_code, **ids),
        tx.envelope(answer, **ids),
    ])
    log.info("complaint_accepted", complaint_id=str(complaint_id), tracking_number=tracking_number,
             possible_duplicate=earlier is not None)


async def _keep_contact(
    tx: Tx, ctx: Context, reporter_ref: UUID, contact: ReporterContact, identity: Identity, anonymous: bool,
    channel: str, reporter_key: str,
) -> ReporterContactShared:
    """Store the contact in intake's private store; the event that shares it, encrypted, with notify alone,
    with the reporter's key (encrypted too) for the reporter's first message."""
    await repository.insert_reporter(
        tx.conn, reporter_ref, contact, phone_hash=identity.phone_hash, email_hash=identity.email_hash
    )
    key_id, ciphertext = ctx.cipher.encrypt(contact)
    return ReporterContactShared(
        reporter_ref=reporter_ref, channel=channel, anonymous=anonymous,
        key_id=key_id, ciphertext=ciphertext, key_ciphertext=ctx.cipher.encrypt_text(reporter_key),
    )


def _stripped(value: str | None) -> str | None:
    return (value or "").strip() or None


def storable(text: str) -> str:
    """``text`` with what PostgreSQL text cannot hold (NUL, lone surrogates) escaped as \\uXXXX."""
    if "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return json.dumps(text, ensure_ascii=True)[1:-1]


async def reject(tx: Tx, channel: str, channel_message_id: str, problems: list[Reason]) -> None:
    """Answer the channel: this message was not accepted, and why (every time it is submitted), unless
    it already became a complaint (a re-send cannot undo an acceptance)."""
    message_id = storable(channel_message_id)
    if await repository.record_rejection(tx.conn, channel, message_id, [p.model_dump() for p in problems]) is None:
        log.info("submission_already_accepted", channel=channel)
        return
    await tx.emit(ComplaintRejected(channel=channel, channel_message_id=message_id, reasons=problems))
    log.info("submission_rejected", channel=channel, codes=[p.code for p in problems])


# --- what routing decided ------------------------------------------------------------------------


async def note_jurisdictions(txs: Sequence[Tx]) -> None:
    """Routing placed complaints (routed, forwarded, sent to triage): remember each one's jurisdiction,
    which decides which admins may erase its reporter's contact. A run of placements (the consumer's
    ``Batch``) in one statement; a complaint placed twice in the run keeps its last placement, as one by one."""
    placed: dict[UUID, str] = {}
    for tx in txs:
        envelope = tx.cause
        if envelope is not None and envelope.complaint_id is not None and envelope.jurisdiction_code is not None:
            placed[envelope.complaint_id] = envelope.jurisdiction_code  # the last placement wins
    if placed:
        await repository.set_jurisdictions(txs[0].conn, list(placed), list(placed.values()))

"""Intake's use cases: accept a submission (or reject it with reasons), erase a reporter's contact, and
remember where routing placed each complaint (whose admins may ask for that erasure)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from lapor_intake import admission, duplicates, ratelimit, repository, tracking
from lapor_intake.contacts import IdentityHasher
from lapor_intake.duplicates import DuplicatePolicy
from lapor_intake.ratelimit import Limits
from lapor_intake.runs import Candidate, Refused, segments
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
from lapor_shared.events.values import Reason, ReportType
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
    """Turn a channel submission into exactly one complaint, or into a rejection with reasons (a run of one:
    ``accept_submissions``)."""
    await accept_submissions([tx], ctx=ctx)


async def accept_submissions(txs: Sequence[Tx], *, ctx: Context) -> None:
    """Turn each of a run of channel submissions (the consumer's ``Batch``, one ``Tx`` each, in record
    order) into exactly one complaint, or into a rejection with reasons, exactly as one by one.

    Every reporter's advisory lock of the run is taken first, in one statement (sorted keys: two
    transactions never wait for each other in a cycle). The run is then taken in segments (``runs``):
    each segment's acceptance checks read in one statement, its complaints, activity and contacts
    written in one each, then its events emitted, each in its own event's scope. Within a segment every
    check comes before the first write, and the complaint rows (guarded by the UNIQUE (channel,
    channel_message_id) constraint) are the first write, so the loser of a race between two deliveries
    of one channel message writes and emits nothing.
    """
    items: list[Candidate | Refused] = [_checked(tx, ctx) for tx in txs]
    keys = sorted({k for item in items if isinstance(item, Candidate) for k in item.identity.lock_keys})
    if keys:
        await repository.lock_identity(txs[0].conn, keys)
    for part in segments(items):
        if isinstance(part, Refused):
            with part.tx.scope():
                await reject(part.tx, part.channel, part.channel_message_id, part.problems)
        else:
            await _accept_segment(part, ctx)


def _checked(tx: Tx, ctx: Context) -> Candidate | Refused:
    submission: ComplaintSubmitted = tx.event.payload
    checked = check(submission, now=datetime.now(UTC), policy=ctx.policy)
    if not checked.ok:
        return Refused(tx, str(submission.channel), submission.channel_message_id, checked.problems)
    title, description = submission.title.strip(), submission.description.strip()
    return Candidate(
        tx, submission, checked.contact, ctx.hasher.identity(checked.contact), title, description,
        duplicates.fingerprint(title, description),
        reporter_ref=uuid4() if checked.contact is not None else None,
    )


async def _accept_segment(segment: list[Candidate], ctx: Context) -> None:
    """Accept submissions none of which needs to see another's rows (``runs.segments``)."""
    conn = segment[0].tx.conn
    facts = await admission.admissions(
        conn, [admission.Ask(c.channel, c.submission.channel_message_id, c.identity.hashes, c.fingerprint)
               for c in segment],
        reporter_window_s=ctx.limits.reporter_window_s, channel_window_s=ctx.limits.channel_window_s,
        duplicate_window_s=ctx.duplicates.window_s, similarity=ctx.duplicates.similarity,
    )
    taken: Counter[str] = Counter()  # accepted earlier in the segment: what the channel's counter would add
    verdicts: list[tuple[Candidate, Reason | None]] = []
    for candidate, fact in zip(segment, facts, strict=True):
        if fact.already_made:
            with candidate.tx.scope():
                log.info("submission_already_accepted", channel=candidate.channel)
            continue
        limited = ratelimit.exceeded(ctx.limits, replace(fact, channel_recent=fact.channel_recent
                                                         + taken[candidate.channel]))
        if limited is None:
            taken[candidate.channel] += 1
            candidate.similar = fact.similar
        verdicts.append((candidate, limited))

    accepted = {c.complaint_id: c for c, limited in verdicts if limited is None}

    async def insert(ids: list[UUID], numbers: list[str]) -> set[UUID]:
        return await admission.insert_complaints(conn, [_row(accepted[i]) for i in ids], numbers,
                                                 channel_window_s=ctx.limits.channel_window_s)

    async def already_made(ids: list[UUID]) -> set[UUID]:
        made = await admission.already_made(conn, [accepted[i].message for i in ids])
        return {i for i in ids if accepted[i].message in made}

    numbers = await tracking.insert_numbered(list(accepted), insert, already_made)
    made = [c for c in accepted.values() if c.complaint_id in numbers]
    await admission.record_made(conn, [h for c in made for h in c.identity.hashes],
                                [c.complaint_id for c in made for _ in c.identity.hashes],
                                [_reporter(c) for c in made if c.reporter_ref is not None])
    for candidate, limited in verdicts:
        with candidate.tx.scope():
            if limited is not None:
                await reject(candidate.tx, candidate.channel, candidate.submission.channel_message_id, [limited])
            elif candidate.complaint_id not in numbers:
                log.info("submission_already_accepted", channel=candidate.channel)
            else:
                await _announce(candidate, numbers[candidate.complaint_id], ctx)


def _row(c: Candidate) -> admission.NewComplaint:
    s = c.submission
    return admission.NewComplaint(
        complaint_id=c.complaint_id, channel=c.channel, channel_message_id=s.channel_message_id,
        report_type=s.report_type, title=c.title, region_code=s.location.region_code, anonymous=s.anonymous,
        confidential=s.confidential, reporter_ref=c.reporter_ref, submitted_at=s.submitted_at,
        text_fingerprint=c.fingerprint, possible_duplicate_of=c.similar, submission_event_id=c.event_id,
    )


def _reporter(c: Candidate) -> admission.NewReporter:
    """The contact for intake's private store (and nowhere else)."""
    assert c.reporter_ref is not None and c.contact is not None
    return admission.NewReporter(c.reporter_ref, c.contact.name, c.contact.phone, c.contact.email,
                                 c.identity.phone_hash, c.identity.email_hash)


async def _announce(c: Candidate, tracking_number: str, ctx: Context) -> None:
    """The events of an accepted submission: its contact shared with notify, the complaint, the channel's
    answer (in the candidate's own transaction scope)."""
    tx, submission, complaint_id = c.tx, c.submission, c.complaint_id
    reporter_key = issue_reporter_key()  # intake keeps no copy: the channel shows it, notify sends it
    shared = None
    if c.reporter_ref is not None and c.contact is not None:
        # the event that shares the contact, encrypted, with notify alone, with the reporter's key
        # (encrypted too) for the reporter's first message
        key_id, ciphertext = ctx.cipher.encrypt(c.contact)
        shared = ReporterContactShared(
            reporter_ref=c.reporter_ref, channel=c.channel, anonymous=submission.anonymous,
            key_id=key_id, ciphertext=ciphertext, key_ciphertext=ctx.cipher.encrypt_text(reporter_key),
        )
    ids: dict[str, Any] = {"complaint_id": complaint_id, "tracking_number": tracking_number}
    accepted = ComplaintAccepted(
        channel=submission.channel,
        channel_message_id=submission.channel_message_id,
        report_type=ReportType(submission.report_type),
        title=c.title,
        description=c.description,
        incident_date=submission.incident_date,
        location=submission.location,
        category_hint=_stripped(submission.category_hint),
        target_agency_hint=_stripped(submission.target_agency_hint),
        attachments=submission.attachments,
        evidence=submission.evidence,
        reporter_ref=None if submission.anonymous else c.reporter_ref,
        anonymous=submission.anonymous,
        confidential=submission.confidential,
        submitted_at=submission.submitted_at,
        possible_duplicate_of=c.similar,
    )
    answer = SubmissionAccepted(  # the channel's answer: no content, the reporter's proof
        channel=submission.channel, channel_message_id=submission.channel_message_id, complaint_id=complaint_id,
        tracking_number=tracking_number, reporter_key=reporter_key,
        reporter_phone_hash=c.identity.phone_hash.hex() if c.identity.phone_hash else None,
    )
    # the contact first (notify keeps it before the acceptance asks for it), then the complaint, then the
    # channel's answer: in this order
    await tx.add_many([
        *([tx.envelope(shared, **ids)] if shared is not None else []),
        tx.envelope(accepted, jurisdiction_code=submission.location.region_code, **ids),
        tx.envelope(answer, **ids),
    ])
    log.info("complaint_accepted", complaint_id=str(complaint_id), tracking_number=tracking_number,
             possible_duplicate=c.similar is not None)


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
        envelope = tx.event
        if envelope.complaint_id is not None and envelope.jurisdiction_code is not None:
            placed[envelope.complaint_id] = envelope.jurisdiction_code  # the last placement wins
    if placed:
        await repository.set_jurisdictions(txs[0].conn, list(placed), list(placed.values()))

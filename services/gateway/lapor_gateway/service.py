"""The gateway's use cases around intake's answers: recording a submission before it is published
(``submissions.SubmissionGateway``), and recording the answers from ``lapor.submissions.results``
(consumer ``gateway.results``, a batch at a time): an acceptance (``submission.accepted``) also leaves
the reporter's proof (``reporter_keys``: the key's verifier, the phone's keyed hash) and the key in clear
until it is shown once.

Every answer is recorded, the gateway's or not, and whether or not the submission's row exists yet: a
row written after its answer (a retry of a publish that seemed to fail) finds the answer there. Both
use cases take the channel message's lock before looking at the other's row, so the SMS reply an
answer calls for is queued by whichever of the two commits second, never by neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lapor_gateway import batch_repository as batch
from lapor_gateway import replies
from lapor_gateway import reporter_repository as rrepo
from lapor_gateway import repository as repo
from lapor_shared import reporter_proof
from lapor_shared.consumer import Tx
from lapor_shared.db import Conn
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintRejected, SubmissionAccepted
from lapor_shared.logging import get_logger
from lapor_shared.runs import segments

log = get_logger(component="gateway.answers")


def answer_of(envelope: Envelope[Any]) -> dict[str, Any]:
    """The answer a result carries, as ``batch_repository.AnswerRow`` fields."""
    payload = envelope.payload
    if isinstance(payload, SubmissionAccepted):
        return dict(channel=str(payload.channel), channel_message_id=payload.channel_message_id, outcome="accepted",
                    tracking_number=payload.tracking_number, complaint_id=payload.complaint_id, reasons=None,
                    reporter_key=payload.reporter_key)
    assert isinstance(payload, ComplaintRejected)
    return dict(channel=str(payload.channel), channel_message_id=payload.channel_message_id, outcome="rejected",
                tracking_number=None, complaint_id=None, reasons=[r.model_dump() for r in payload.reasons],
                reporter_key=None)


async def record_answer(tx: Tx, envelope: Envelope[Any], *, short_code: str, notify_channel: str) -> None:
    """``record_answers`` for one answer (``tx.cause`` is ``envelope``)."""
    assert tx.cause is envelope
    await record_answers([tx], short_code=short_code, notify_channel=notify_channel)


async def record_answers(txs: Sequence[Tx], *, short_code: str, notify_channel: str) -> None:
    """Keep intake's answers (``tx.event`` of each), queue the SMS replies they call for and wake the
    requests waiting for them; an acceptance also keeps the reporter's proof and enters the complaint in
    the public view (its content follows from ``lapor.complaints``).

    The consumer's ``Batch`` use case: a run's answers, the submissions they settle and the proofs take
    a statement each (``batch_repository``), not a statement each per answer. Two answers to one channel
    message (a rejection, then an acceptance) go to consecutive statements, in order, so the result is
    the one answer-at-a-time would give."""
    if not txs:
        return
    conn = txs[0].conn
    for part in segments(txs, key=lambda tx: _key(tx.event)):  # no channel message answered twice in a part
        await _record(conn, part, short_code=short_code, notify_channel=notify_channel)
    await rrepo.forget_unshown_keys(conn)


def _key(envelope: Any) -> tuple[str, str]:
    return str(envelope.payload.channel), envelope.payload.channel_message_id


async def _record(conn: Conn, txs: Sequence[Tx], *, short_code: str, notify_channel: str) -> None:
    answers = [batch.AnswerRow(**answer_of(tx.event)) for tx in txs]
    keys = [(a.channel, a.channel_message_id) for a in answers]
    await batch.lock_channel_messages(conn, keys)
    settled = {(row["channel"], row["channel_message_id"]): row for row in await batch.record_answers(conn, answers)}
    for tx, key in zip(txs, keys, strict=True):
        row = settled.get(key)
        if row is None:
            continue
        with tx.scope():
            if row["source"] == "sms" and row["reply_to"] is not None:
                await queue_sms_reply(conn, *key, short_code)
            log.info("submission_answered", channel=key[0], outcome=row["outcome"],
                     tracking_number=row["tracking_number"])
    await batch.notify_answered(conn, notify_channel, [key for key in keys if key in settled])
    await batch.record_proofs(conn, [_proof(tx.event.payload) for tx in txs
                                     if isinstance(tx.event.payload, SubmissionAccepted)])


def _proof(accepted: SubmissionAccepted) -> batch.ProofRow:
    """What proves a reporter's command: the key's verifier (never the key) and the phone's keyed hash;
    the complaint is findable by its number from now on (its content comes from lapor.complaints)."""
    return batch.ProofRow(
        complaint_id=accepted.complaint_id, tracking_number=accepted.tracking_number,
        key_verifier=reporter_proof.verifier(accepted.reporter_key),
        phone_hash=bytes.fromhex(accepted.reporter_phone_hash) if accepted.reporter_phone_hash else None,
    )


async def record_submission(
    conn: Conn, *, channel: str, channel_message_id: str, source: str, poll_token: str,
    fingerprint: str, reply_to: str | None, short_code: str,
) -> bool:
    """Remember a submission before publishing it (in the caller's transaction); False when the channel
    message is already known. An SMS whose answer was recorded first gets its reply queued here."""
    await repo.lock_channel_message(conn, channel, channel_message_id)
    inserted = await repo.insert_submission(
        conn, channel=channel, channel_message_id=channel_message_id, source=source, poll_token=poll_token,
        fingerprint=fingerprint, reply_to=reply_to,
    )
    if inserted and reply_to is not None:
        await queue_sms_reply(conn, channel, channel_message_id, short_code)
    return inserted


async def queue_sms_reply(conn: Conn, channel: str, channel_message_id: str, short_code: str) -> bool:
    """Queue the reply to an SMS whose answer is known, once, and forget the sender's number; False when
    there is nothing to send (not an SMS, no answer yet, or already queued). An acceptance's reply shows
    the reporter's key (and takes it: shown once)."""
    due = await repo.sms_reply_due(conn, channel, channel_message_id)
    if due is None:
        return False
    key = await rrepo.take_reporter_key(conn, channel, channel_message_id) if due["outcome"] == "accepted" else None
    kind, body = replies.for_outcome(due["outcome"], due["tracking_number"], due["reasons"], short_code, key)
    await repo.queue_sms(conn, in_reply_to=channel_message_id, kind=kind, to_phone=due["reply_to"], body=body)
    await repo.forget_reply_to(conn, channel, channel_message_id)
    return True

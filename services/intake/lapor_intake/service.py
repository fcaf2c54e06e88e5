"""Intake's use cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from lapor_intake import repository, tracking
from lapor_intake.validation import validate
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintAccepted, ComplaintRejected, ComplaintSubmitted
from lapor_shared.events.values import ReportType
from lapor_shared.logging import get_logger

log = get_logger(component="intake")


async def accept_submission(tx: Tx, envelope: Envelope[Any], *, max_skew_s: int = 600) -> None:
    """Turn a channel submission into exactly one complaint, or into a rejection with reasons."""
    submission: ComplaintSubmitted = envelope.payload
    problems = validate(submission, now=datetime.now(UTC), max_skew_s=max_skew_s)
    if problems:
        if await repository.record_rejection(
            tx.conn, submission.channel, submission.channel_message_id, [p.model_dump() for p in problems]
        ):
            await tx.emit(ComplaintRejected(
                channel=submission.channel, channel_message_id=submission.channel_message_id, reasons=problems,
            ))
        log.info("submission_rejected", channel=submission.channel, codes=[p.code for p in problems])
        return

    complaint_id = uuid4()
    tracking_number = tracking.encode(await repository.next_tracking_value(tx.conn))
    reporter_ref = uuid4() if submission.reporter is not None else None
    created = await repository.insert_complaint(
        tx.conn,
        complaint_id=complaint_id,
        tracking_number=tracking_number,
        channel=submission.channel,
        channel_message_id=submission.channel_message_id,
        report_type=submission.report_type,
        title=submission.title.strip(),
        region_code=submission.location.region_code,
        anonymous=submission.anonymous,
        confidential=submission.confidential,
        reporter_ref=reporter_ref,
        submitted_at=submission.submitted_at,
    )
    if not created:
        log.info("submission_already_accepted", channel=submission.channel)
        return
    if reporter_ref is not None and submission.reporter is not None:
        await repository.insert_reporter(tx.conn, reporter_ref, submission.reporter)
    await tx.emit(
        ComplaintAccepted(
            channel=submission.channel,
            channel_message_id=submission.channel_message_id,
            report_type=ReportType(submission.report_type),
            title=submission.title.strip(),
            description=submission.description.strip(),
            incident_date=submission.incident_date,
            location=submission.location,
            category_hint=submission.category_hint,
            target_agency_hint=submission.target_agency_hint,
            attachments=submission.attachments,
            reporter_ref=None if submission.anonymous else reporter_ref,
            anonymous=submission.anonymous,
            confidential=submission.confidential,
            submitted_at=submission.submitted_at,
        ),
        complaint_id=complaint_id,
        tracking_number=tracking_number,
        jurisdiction_code=submission.location.region_code,
    )
    log.info("complaint_accepted", complaint_id=str(complaint_id), tracking_number=tracking_number)

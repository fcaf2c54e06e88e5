"""Routing's use cases."""

from __future__ import annotations

from typing import Any

from lapor_routing import repository
from lapor_routing.rules import TRIAGE_JURISDICTION, decide
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import ComplaintNeedsTriage, ComplaintRouted
from lapor_shared.logging import get_logger

log = get_logger(component="routing")


async def route_complaint(tx: Tx, envelope: Envelope[Any]) -> None:
    """Decide who must answer an accepted complaint, or send it to triage; record why."""
    complaint: ComplaintAccepted = envelope.payload
    assert envelope.complaint_id is not None and envelope.tracking_number is not None
    decision = decide(complaint.location)
    jurisdiction = decision.agency.jurisdiction_code if decision.agency else TRIAGE_JURISDICTION
    recorded = await repository.record_decision(
        tx.conn,
        complaint_id=envelope.complaint_id,
        tracking_number=envelope.tracking_number,
        agency_id=decision.agency.agency_id if decision.agency else None,
        jurisdiction_code=jurisdiction,
        reason=decision.reason,
        anonymous=complaint.anonymous,
        confidential=complaint.confidential,
    )
    if not recorded:
        return
    if decision.agency is None:
        await tx.emit(
            ComplaintNeedsTriage(
                triage_jurisdiction=jurisdiction, reason=decision.reason, category=complaint.category_hint,
                report_type=complaint.report_type, title=complaint.title, description=complaint.description,
                location=complaint.location, anonymous=complaint.anonymous, confidential=complaint.confidential,
            ),
            jurisdiction_code=jurisdiction,
        )
        log.info("complaint_needs_triage", reason=decision.reason.code)
        return
    await tx.emit(
        ComplaintRouted(
            agency=decision.agency.ref(), reason=decision.reason, category=complaint.category_hint,
            report_type=complaint.report_type, title=complaint.title, description=complaint.description,
            incident_date=complaint.incident_date, location=complaint.location, attachments=complaint.attachments,
            reporter_ref=None if complaint.anonymous else complaint.reporter_ref, anonymous=complaint.anonymous,
            confidential=complaint.confidential, submitted_at=complaint.submitted_at,
        ),
        jurisdiction_code=jurisdiction,
    )
    log.info("complaint_routed", agency_id=decision.agency.agency_id, reason=decision.reason.code)

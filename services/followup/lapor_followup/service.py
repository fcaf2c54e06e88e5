"""Followup's use cases."""

from __future__ import annotations

from typing import Any

from lapor_followup import repository
from lapor_followup.policies import policy_for
from lapor_followup.workcalendar import WorkingCalendar, zone_of
from lapor_shared.consumer import Tx
from lapor_shared.events import Envelope
from lapor_shared.events.lifecycle import ComplaintRouted, DeadlineSet
from lapor_shared.logging import get_logger

log = get_logger(component="followup")


async def open_case(tx: Tx, envelope: Envelope[Any], *, calendar: WorkingCalendar) -> None:
    """A complaint reached an agency: record it and start the follow-up clock."""
    routed: ComplaintRouted = envelope.payload
    assert envelope.complaint_id is not None and envelope.tracking_number is not None
    policy = policy_for(routed.report_type)
    created = await repository.insert_complaint(
        tx.conn,
        complaint_id=envelope.complaint_id,
        tracking_number=envelope.tracking_number,
        agency_id=routed.agency.agency_id,
        jurisdiction_code=routed.agency.jurisdiction_code,
        report_type=routed.report_type,
        policy_version=policy.version,
        anonymous=routed.anonymous,
        confidential=routed.confidential,
        routed_at=envelope.occurred_at,
    )
    if not created:
        return
    due_at = calendar.due_at(envelope.occurred_at, policy.follow_up, zone_of(routed.agency.jurisdiction_code))
    await repository.add_timer(
        tx.conn, complaint_id=envelope.complaint_id, stage="follow_up", agency_id=routed.agency.agency_id,
        due_at=due_at,
    )
    await tx.emit(DeadlineSet(
        stage="follow_up", agency_id=routed.agency.agency_id, due_at=due_at,
        working_days=policy.follow_up, policy_version=policy.version,
    ))
    log.info("case_opened", agency_id=routed.agency.agency_id, due_at=due_at.isoformat())

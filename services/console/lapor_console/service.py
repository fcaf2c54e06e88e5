"""The console's use case on the consuming side: keep the read model up to date with one event of an
agency's stream, and settle the outcome of the officer's command that caused it.

Each event becomes a line of its complaint's timeline for each agency that read it (``projection``),
then the whole timeline is folded again into the complaint's row: replays and redeliveries converge. An
event caused by one of the console's commands (its ``causation_id``) settles that command: accepted, or
rejected with followup's or routing's reason (``complaint.action_rejected``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lapor_console import projection, repository
from lapor_shared.consumer import Handler, Tx
from lapor_shared.events import Envelope, Payload
from lapor_shared.events import lifecycle as lc
from lapor_shared.logging import get_logger

log = get_logger(component="console.projection")

CONSUMER_NAME = "console.streams"

READ: tuple[type[Payload], ...] = (
    lc.ComplaintRouted, lc.ComplaintForwarded, lc.ComplaintHeld, lc.ComplaintAcknowledged, lc.ComplaintResponded,
    lc.ComplaintReporterReplied, lc.ComplaintRated, lc.DeadlineSet, lc.DeadlineExtended, lc.DeadlineWarning,
    lc.DeadlineBreached, lc.ComplaintEscalated, lc.ComplaintClosed, lc.ComplaintReopened, lc.ActionRejected,
)
"""What an agency's stream carries about its complaints. Anything else on it is skipped."""


class Projector:
    def handlers(self) -> Mapping[type[Payload], Handler]:
        return {payload: self.apply for payload in READ}

    async def apply(self, tx: Tx, envelope: Envelope[Any]) -> None:
        topic = tx.source.topic if tx.source is not None else None
        lines = projection.lines_of(envelope, topic)
        if not lines:
            log.info("event_ignored", reason="no_complaint_or_agency")
            return
        complaint_id = lines[0].complaint_id
        await repository.lock_complaint(tx.conn, complaint_id)
        added = [line for line in lines if await repository.add_line(tx.conn, line)]
        if not added:
            return
        await self._remember_agencies(tx, envelope.payload)
        row = projection.fold(await repository.lines(tx.conn, complaint_id))
        if row is not None:
            await repository.save_row(tx.conn, row, envelope.tracking_number)
        await self._settle(tx, envelope)

    async def _remember_agencies(self, tx: Tx, payload: Payload) -> None:
        refs = [getattr(payload, name, None) for name in ("agency", "from_agency", "to_agency")]
        for ref in refs:
            if ref is not None:
                await repository.remember_agency(tx.conn, ref.agency_id, ref.name, ref.jurisdiction_code)

    async def _settle(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """The outcome of the console's command this event answers, if it answers one."""
        payload = envelope.payload
        if isinstance(payload, lc.ActionRejected):
            settled = await repository.decide_action(tx.conn, payload.command_id, "rejected",
                                                     payload.reason.model_dump(mode="json"), envelope.occurred_at)
        elif envelope.causation_id is not None:
            settled = await repository.decide_action(tx.conn, envelope.causation_id, "accepted", None,
                                                     envelope.occurred_at)
        else:
            settled = False
        if settled:
            log.info("action_settled", event_type=envelope.event_type, tracking_number=envelope.tracking_number)

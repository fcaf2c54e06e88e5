"""The dashboard's use case: keep the read model up to date with one lifecycle event.

For every event it reads, the projector adds a compact line to the complaint's event log and folds the
whole log again into the complaint's row (``projection.fold``), so the row depends on the set of events
only: replays, rebuilds and redeliveries converge on the same figures. A complaint has a few dozen
events at most, so the fold is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lapor_dashboard import projection, repository
from lapor_shared.consumer import Handler, Tx
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import (
    ComplaintAcknowledged,
    ComplaintArchived,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintForwarded,
    ComplaintHeld,
    ComplaintNeedsTriage,
    ComplaintRated,
    ComplaintReopened,
    ComplaintReporterReplied,
    ComplaintResponded,
    ComplaintRouted,
    DeadlineBreached,
    DeadlineExtended,
    DeadlineSet,
    DeadlineWarning,
)
from lapor_shared.logging import get_logger

log = get_logger(component="dashboard.projection")

CONSUMER_NAME = "dashboard.complaints"
"""The inbox name of the read model's consumer (the live subscriber and a rebuild share it)."""

READ: tuple[type[Payload], ...] = (
    ComplaintAccepted, ComplaintNeedsTriage, ComplaintRouted, ComplaintForwarded, ComplaintHeld,
    ComplaintArchived, ComplaintAcknowledged, ComplaintResponded, ComplaintReporterReplied, ComplaintRated,
    DeadlineSet, DeadlineExtended, DeadlineWarning, DeadlineBreached, ComplaintEscalated, ComplaintClosed,
    ComplaintReopened,
)
"""The lifecycle events the read model is made of. Any other event on the topic is skipped."""

TITLED = (ComplaintAccepted, ComplaintNeedsTriage, ComplaintRouted)


class Projector:
    def handlers(self) -> Mapping[type[Payload], Handler]:
        return {payload: self.apply for payload in READ}

    async def apply(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """Record ``envelope`` in its complaint's event log and fold the log into the complaint's row."""
        entry = projection.log_entry(envelope)
        if entry is None:
            log.info("event_ignored", reason="no_complaint_id")
            return
        await repository.lock_complaint(tx.conn, entry.complaint_id)
        entries = await repository.add_event_and_read_log(tx.conn, entry)
        if entries is None:
            return  # already in the log (a rebuild beside the live consumer)
        row = projection.fold(entries)
        assert row is not None
        title = envelope.payload.title if isinstance(envelope.payload, TITLED) else None
        await repository.save_row(tx.conn, row, tracking_number=envelope.tracking_number, title=title)

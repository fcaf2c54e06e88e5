"""The dashboard's use case: keep the read model up to date with the lifecycle events.

For every event it reads, the projector adds a compact line to the complaint's event log and folds the
whole log again into the complaint's row (``projection.fold``), so the row depends on the set of events
only: replays, rebuilds and redeliveries converge on the same figures. A complaint has a few dozen
events at most, so the fold is cheap.

The consumer hands it each run of consecutive events of a batch at once (a ``Batch`` use case), and the
run costs three statements whatever its length (issue 17): the complaints' locks, the new log lines
added with the logs of their complaints read back, and the changed rows saved. Each complaint is folded
once per run; its row equals the one the events would have left one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from lapor_dashboard import projection, repository
from lapor_shared.consumer import Batch, Tx, Use
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
    def handlers(self) -> Mapping[type[Payload], Use]:
        batch = Batch(self.apply_many)  # one use case for every type: a run is not cut where the type changes
        return {payload: batch for payload in READ}

    async def apply(self, tx: Tx, envelope: Envelope[Any]) -> None:
        """Record one event (``envelope``) in its complaint's event log and fold the log into its row."""
        await self.apply_many([tx if tx.cause is envelope else replace(tx, cause=envelope)])

    async def apply_many(self, txs: Sequence[Tx]) -> None:
        """Record a run of events (each ``tx.event``, all in the transaction ``txs[0].conn``) in their
        complaints' event logs and fold each complaint's log once into its row, in three statements.

        An event already in the log (a rebuild beside the live consumer, the same event twice in the run)
        changes nothing, as it would alone. A row's tracking number and title are those of the last event
        of the run that was new and carried one (else the row keeps its own), as one by one.
        """
        entries: list[tuple[Envelope[Any], projection.LogEntry]] = []
        for tx in txs:
            envelope = tx.event  # the projector folds the event a transaction was opened for
            entry = projection.log_entry(envelope)
            if entry is None:
                with tx.scope():
                    log.info("event_ignored", reason="no_complaint_id")
                continue
            entries.append((envelope, entry))
        if not entries:
            return
        conn = txs[0].conn
        await repository.lock_complaints(conn, {entry.complaint_id for _, entry in entries})
        logs = await repository.add_events_and_read_logs(conn, [entry for _, entry in entries])
        given: dict[UUID, dict[str, str]] = {}  # per complaint with a new line: tracking number and title
        seen: set[UUID] = set()
        for envelope, entry in entries:
            if entry.event_id in seen or entry.event_id not in logs.added:
                continue  # already in the log: no effect
            seen.add(entry.event_id)
            values = given.setdefault(entry.complaint_id, {})
            title = envelope.payload.title if isinstance(envelope.payload, TITLED) else None
            for column, value in (("tracking_number", envelope.tracking_number), ("title", title)):
                if value is not None:
                    values[column] = value
        folded = []
        for complaint_id, values in given.items():
            row = projection.fold(logs.by_complaint[complaint_id])
            assert row is not None
            folded.append(repository.Folded(row, values.get("tracking_number"), values.get("title")))
        await repository.save_rows(conn, folded)

"""What became of the sends, recorded together: the outcomes of the sends that finished at about the same
moment go into ONE transaction, with set-based statements, each update guarded by its claim's lease token.

- **sent**: ``sent`` + ``notification.sent`` (+ the message itself, for the in-app inbox: its "send" is
  a row in this database, written in the same transaction, so it is there exactly once);
- **retry**: ``pending`` again at ``next_attempt_at`` (exponential backoff, kept in the database);
- **later**: not tried (no provider slot came free in time): ``pending`` again ``LATER_S`` on, the attempt
  not counted;
- **not applicable**: ``skipped`` (no address, e-mail preferred over SMS) or ``cancelled`` (contact erased);
- **failed**: ``failed`` + ``notification.failed`` + a dead letter on ``lapor.deadletter``, both through
  the outbox.

A send hands its outcome to ``settle`` and waits until it is recorded (its slot, and its lease token in
the worker's ``LeaseTokens``, stay held meanwhile). Group commit: while a batch is being recorded the
next outcomes queue up, and they are recorded together after it, so the batches grow with the load and a
lone outcome waits for nobody. The lease token guards every update, so a worker whose lease ran out
cannot overwrite another's result. If a batch cannot be recorded (the database is away, or one outcome
breaks the statement), each of its outcomes is recorded alone, tried again for as long as its lease
lasts (``recorded``), without sending again: one bad outcome never holds back the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from lapor_notify import repository
from lapor_notify.channels.base import OutboundMessage
from lapor_notify.settings import SendingSettings
from lapor_shared import deadletter
from lapor_shared.clock import Clock
from lapor_shared.events import Envelope, encode, headers_of
from lapor_shared.events.notifications import NotificationFailed, NotificationSent
from lapor_shared.events.values import reason
from lapor_shared.logging import get_logger, redact_text
from lapor_shared.metrics import Metrics
from lapor_shared.outbox import Outbox
from lapor_shared.tracing import current_trace_headers
from lapor_shared.tx import Tx

log = get_logger(component="notify.worker")

T = TypeVar("T")

MAX_BATCH = 256
"""Outcomes recorded in one transaction at most (the worker's slots, ``concurrency``, bound them too)."""

LATER_S = 5.0
"""How soon a delivery that found no free provider slot is due again."""

FAILURE_TEXT = {
    "permanent_error": ("Pesan tidak dapat dikirim: penyedia menolaknya.",
                        "The message could not be sent: the provider refused it."),
    "too_many_attempts": ("Pesan tidak dapat dikirim setelah beberapa kali percobaan.",
                          "The message could not be sent after repeated attempts."),
    "contact_unreadable": ("Kontak pelapor tidak dapat dibuka dengan kunci yang ada.",
                           "The reporter's contact cannot be decrypted with the configured keys."),
    "channel_unavailable": ("Saluran pengiriman ini tidak diaktifkan.",
                            "This delivery channel is not enabled."),
}


def delivery_event(tx: Tx, delivery: Mapping[str, Any] | asyncpg.Record, occurred_at: datetime,
                   failed: dict[str, Any] | None = None) -> Envelope[Any]:
    """``notification.sent`` about a delivery (a row of ``notifications``, or its fields), or with ``failed``
    (attempts and reason) ``notification.failed``: the complaint's ids, the story of the event that planned
    it. The worker's outcomes and the in-app messages written at once (``in_app``) both tell it this way."""
    common = {name: delivery[name] for name in ("notification_id", "source_event_id", "recipient_kind",
                                                "recipient_ref", "channel", "template")}
    payload = NotificationSent(**common) if failed is None else NotificationFailed(**common, **failed)
    return tx.envelope(
        payload, caused_by=None, complaint_id=delivery["complaint_id"], tracking_number=delivery["tracking_number"],
        jurisdiction_code=delivery["jurisdiction_code"], occurred_at=occurred_at,
        correlation_id=delivery["correlation_id"], causation_id=delivery["source_event_id"],
    )


@dataclass(frozen=True, slots=True)
class Skip:
    """A delivery that does not apply (any more): its final status and why."""

    status: str  # skipped | cancelled
    reason: str


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one send, to be recorded: ``status`` is sent, retry, later, failed, skipped or cancelled;
    ``code`` says why a delivery failed, ``detail`` is the error (or the reason it does not apply)."""

    row: asyncpg.Record
    status: str
    detail: str | None = None
    code: str | None = None
    trace: dict[str, str] = field(default_factory=current_trace_headers)
    """The trace context of the send (its events continue that trace, whoever records them)."""
    inbox: OutboundMessage | None = None
    """A message for the in-app inbox, written in the transaction that records this outcome (and only
    if it is recorded: a worker whose claim was taken back writes nothing)."""

    @property
    def notification_id(self) -> UUID:
        return self.row["notification_id"]


class Outcomes:
    def __init__(
        self, *, pool: Callable[[], asyncpg.Pool], sending: SendingSettings, clock: Clock, outbox: Outbox,
        producer: str, metrics: Metrics | None = None,
    ) -> None:
        self._pool = pool
        self._s = sending
        self._clock = clock
        self._outbox = outbox
        self._producer = producer
        self._metrics = metrics
        self._queue: list[tuple[Result, asyncio.Future[set[UUID]]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.sent_total = 0
        self.failed_total = 0
        self.batches = 0
        """Transactions that recorded outcomes so far (with ``recorded_total``: outcomes per transaction)."""
        self.recorded_total = 0

    async def settle(self, result: Result) -> bool:
        """Record ``result`` with the others that finished about now; True when recorded, False when the
        claim was no longer this worker's (its lease ran out, or it was taken back)."""
        future: asyncio.Future[set[UUID]] = asyncio.get_running_loop().create_future()
        self._queue.append((result, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="notify-outcomes")
        try:
            recorded = await future
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the batch could not be recorded: this outcome alone, tried again
            log.warning("delivery_outcome_recorded_alone", error=redact_text(repr(exc))[:300])
            recorded = await self.recorded(lambda: self.record_together([result]))
        return result.notification_id in recorded

    async def _flush(self) -> None:
        """Record what is queued, batch after batch, until nothing is."""
        while self._queue:
            waiting = 0
            while waiting != len(self._queue) < MAX_BATCH:  # the sends finishing at this moment join the batch
                waiting = len(self._queue)
                await asyncio.sleep(0)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                recorded = await self.record_together([result for result, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(recorded)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Let the outcomes being recorded be recorded (a stop), briefly."""
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait({self._flusher}, timeout=timeout_s)

    async def recorded(self, outcome: Callable[[], Awaitable[T]]) -> T:
        """Record an outcome; while the database is away, try again (the message is not sent again) for
        as long as the claim's lease lasts, after which the delivery may be another worker's."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._s.lease_s
        delay = 0.2
        while True:
            try:
                return await outcome()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if loop.time() + delay >= give_up_at:
                    raise
                log.warning("delivery_outcome_retrying", error=redact_text(repr(exc))[:300], retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def record_together(self, results: Sequence[Result]) -> set[UUID]:
        """Every outcome of ``results`` in one transaction: one update of their rows (each under its lease
        token), one insert of their ``notification.sent``/``notification.failed`` events, and a dead letter
        per failure, and the in-app inbox messages of the sends recorded; the ids recorded."""
        now = self._clock.now()
        updates = [self._update(result, now) for result in results]
        async with self._pool().acquire() as conn, conn.transaction():
            recorded = await repository.record_outcomes(conn, updates, now)
            await repository.put_many_in_inbox(conn, [r.inbox for r in results if r.inbox is not None
                                                      and r.status == "sent" and r.notification_id in recorded])
            tx = Tx(conn, self._outbox, self._producer, metrics=self._metrics)  # notifications sent and failed
            told = [(r, self._event(tx, r)) for r in results
                    if r.notification_id in recorded and r.status in ("sent", "failed")]
            await tx.add_many([event for _, event in told], [r.trace for r, _ in told])
            for result, event in told:
                if result.status == "failed":
                    await self._dead_letter(conn, result, event, now)
        self.batches += 1
        self.recorded_total += len(recorded)
        self.sent_total += sum(1 for r in results if r.status == "sent" and r.notification_id in recorded)
        self.failed_total += sum(1 for r in results if r.status == "failed" and r.notification_id in recorded)
        return recorded

    def retry_in_s(self, row: asyncpg.Record) -> float:
        """The backoff before the next attempt of ``row`` (exponential in its attempts, capped)."""
        return float(min(self._s.backoff_initial_s * 2 ** (row["attempts"] - 1), self._s.backoff_max_s))

    def _update(self, result: Result, now: Any) -> repository.Outcome:
        row = result.row
        if result.status == "retry":
            return repository.Outcome(row["notification_id"], row["lease_token"], "pending", result.detail,
                                      now + timedelta(seconds=self.retry_in_s(row)))
        if result.status == "later":
            return repository.Outcome(row["notification_id"], row["lease_token"], "pending", result.detail,
                                      now + timedelta(seconds=LATER_S), attempt_counted=False)
        error = None if result.status == "sent" else result.detail
        return repository.Outcome(row["notification_id"], row["lease_token"], result.status, error)

    def _event(self, tx: Tx, result: Result) -> Envelope[Any]:
        row = result.row
        if result.status == "sent":
            return delivery_event(tx, row, self._clock.now())
        code = result.code or "permanent_error"
        message_id, message_en = FAILURE_TEXT[code]
        return delivery_event(tx, row, self._clock.now(), failed=dict(attempts=row["attempts"], reason=reason(
            code, message_id=message_id, message_en=f"{message_en} ({result.detail})")))

    async def _dead_letter(self, conn: Any, result: Result, failed: Envelope[Any], now: Any) -> None:
        row = result.row
        await deadletter.write_failure(
            conn, self._outbox, consumer="notify.delivery", source="notify.notifications",
            key=f"notify.delivery:{row['notification_id']}", reason=f"{result.code}: {result.detail}",
            body=encode(failed), headers=headers_of(failed),
            details={"delivery_id": str(row["notification_id"]), "attempts": str(row["attempts"])},
            failed_at=now,
        )

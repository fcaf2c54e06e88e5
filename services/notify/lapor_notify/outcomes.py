"""What became of a send, recorded in one transaction guarded by the claim's lease token.

- **sent**: ``sent`` + ``notification.sent``;
- **retry**: ``pending`` again at ``next_attempt_at`` (exponential backoff, kept in the database);
- **not applicable**: ``skipped`` (no address, e-mail preferred over SMS) or ``cancelled`` (contact erased);
- **failed**: ``failed`` + ``notification.failed`` + a dead letter on ``lapor.deadletter``, both through
  the outbox.

The lease token guards every update, so a worker whose lease ran out cannot overwrite another's result.
An outcome the database cannot record now is tried again (``recorded``), without sending again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from lapor_notify import repository
from lapor_notify.settings import SendingSettings
from lapor_shared import deadletter
from lapor_shared.clock import Clock
from lapor_shared.db import Conn
from lapor_shared.events import Envelope, Payload, encode, headers_of
from lapor_shared.events.notifications import NotificationFailed, NotificationSent
from lapor_shared.events.values import reason
from lapor_shared.logging import get_logger, redact_text
from lapor_shared.metrics import Metrics
from lapor_shared.outbox import Outbox
from lapor_shared.tx import Tx

log = get_logger(component="notify.worker")

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


@dataclass(frozen=True, slots=True)
class Skip:
    """A delivery that does not apply (any more): its final status and why."""

    status: str  # skipped | cancelled
    reason: str


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
        self.sent_total = 0
        self.failed_total = 0

    async def recorded(self, outcome: Callable[[], Awaitable[None]]) -> None:
        """Record an outcome; while the database is away, try again (the message is not sent again) for
        as long as the claim's lease lasts, after which the delivery may be another worker's."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._s.lease_s
        delay = 0.2
        while True:
            try:
                await outcome()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if loop.time() + delay >= give_up_at:
                    raise
                log.warning("delivery_outcome_retrying", error=redact_text(repr(exc))[:300], retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def sent(self, row: asyncpg.Record) -> None:
        now = self._clock.now()
        async with self._pool().acquire() as conn, conn.transaction():
            if not await repository.mark_sent(conn, row["notification_id"], row["lease_token"], now):
                log.warning("delivery_lease_lost_after_send")
                return
            await self._emit(conn, row, NotificationSent(
                notification_id=row["notification_id"], source_event_id=row["source_event_id"],
                recipient_kind=row["recipient_kind"], recipient_ref=row["recipient_ref"], channel=row["channel"],
                template=row["template"],
            ))
        self.sent_total += 1
        log.info("delivery_sent")

    async def retry(self, row: asyncpg.Record, detail: str) -> None:
        now = self._clock.now()
        delay = min(self._s.backoff_initial_s * 2 ** (row["attempts"] - 1), self._s.backoff_max_s)
        async with self._pool().acquire() as conn, conn.transaction():
            await repository.mark_retry(conn, row["notification_id"], row["lease_token"],
                                        at=now + timedelta(seconds=delay), error=detail, now=now)
        log.warning("delivery_retry_scheduled", error=detail, retry_in_s=delay)

    async def finish(self, row: asyncpg.Record, skip: Skip) -> None:
        async with self._pool().acquire() as conn, conn.transaction():
            await repository.mark_final(conn, row["notification_id"], row["lease_token"], status=skip.status,
                                        error=skip.reason, now=self._clock.now())
        log.info("delivery_not_applicable", status=skip.status, reason=skip.reason)

    async def fail(self, row: asyncpg.Record, code: str, detail: str) -> None:
        """``failed`` + ``notification.failed`` + a dead letter with the reason, in one transaction."""
        now = self._clock.now()
        message_id, message_en = FAILURE_TEXT[code]
        async with self._pool().acquire() as conn, conn.transaction():
            if not await repository.mark_final(conn, row["notification_id"], row["lease_token"], status="failed",
                                               error=detail, now=now):
                return
            failed = await self._emit(conn, row, NotificationFailed(
                notification_id=row["notification_id"], source_event_id=row["source_event_id"],
                recipient_kind=row["recipient_kind"], recipient_ref=row["recipient_ref"], channel=row["channel"],
                template=row["template"], attempts=row["attempts"],
                reason=reason(code, message_id=message_id, message_en=f"{message_en} ({detail})"),
            ))
            await deadletter.write_failure(
                conn, self._outbox, consumer="notify.delivery", source="notify.notifications",
                key=f"notify.delivery:{row['notification_id']}", reason=f"{code}: {detail}", body=encode(failed),
                headers=headers_of(failed),
                details={"delivery_id": str(row["notification_id"]), "attempts": str(row["attempts"])},
                failed_at=now,
            )
        self.failed_total += 1
        log.error("delivery_failed", reason=code, error=detail)

    async def _emit(self, conn: Conn, row: asyncpg.Record, payload: Payload) -> Envelope[Any]:
        """An event about a delivery: the complaint's ids, the story of the event that planned it."""
        tx = Tx(conn, self._outbox, self._producer, metrics=self._metrics)  # notifications sent and failed
        return await tx.emit(
            payload, complaint_id=row["complaint_id"], tracking_number=row["tracking_number"],
            jurisdiction_code=row["jurisdiction_code"], occurred_at=self._clock.now(),
            correlation_id=row["correlation_id"], causation_id=row["source_event_id"],
        )

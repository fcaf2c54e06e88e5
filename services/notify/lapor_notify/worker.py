"""The delivery worker: claims due deliveries, sends them, and records the outcome.

One claim → send → mark cycle per delivery:
1. **claim** (transaction 1): ``FOR UPDATE SKIP LOCKED`` picks due rows; each is set to ``sending`` with a
   lease (``lease_until``) and a fresh lease token, and the attempt is counted; the rate limit takes its
   slot in the same transaction. Commit.
2. **send** outside any transaction, several at once (a slow provider holds only its own slots; the
   Kafka consumers never wait for a provider at all).
3. **mark** (transaction 2): ``sent`` + ``notification.sent``; or ``pending`` again at
   ``next_attempt_at`` (exponential backoff, kept in the database); or ``failed`` +
   ``notification.failed`` + a dead letter on ``lapor.deadletter``, both through the outbox. The update
   is guarded by the lease token, so a worker whose lease ran out cannot overwrite another's result.

**Recovery.** Each worker process holds a liveness lock (``liveness.py``: a session-level advisory lock
on its own connection) and stamps its claims with its key. PostgreSQL drops the lock the moment the
process's connection ends, so when a process dies its claims are taken back by the next housekeeping
round of any worker (its restarted successor included): a crash delays a message by seconds, not by a
lease. The lease remains the fallback for a worker that is alive but stuck (or cut off from the database
without its connection being closed). An outcome that cannot be recorded (database away) is retried
without sending again.

The honest caveat (the one NServiceBus and Debezium document): a crash between 2 and 3 leaves the row
``sending``; it is then sent again. At worst a message goes out twice, never zero times; receivers can
dedupe on the delivery id (SMTP Message-ID, SMS reference, webhook ``Idempotency-Key``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import asyncpg
import structlog

from lapor_notify import recipients, repository
from lapor_notify.channels.base import Channel, OutboundMessage, PermanentError
from lapor_notify.liveness import LOCK_CLASS, Liveness
from lapor_notify.rendering import render
from lapor_notify.settings import NotifySettings
from lapor_shared import deadletter
from lapor_shared.background import BackgroundLoop
from lapor_shared.clock import Clock
from lapor_shared.crypto import ContactCipher, ContactDecryptionError
from lapor_shared.events import Envelope, Payload, encode, headers_of
from lapor_shared.events.notifications import NotificationFailed, NotificationSent
from lapor_shared.events.values import reason
from lapor_shared.logging import get_logger, redact_text
from lapor_shared.metrics import Metrics
from lapor_shared.outbox import Outbox
from lapor_shared.tracing import continue_trace, current_trace_id
from lapor_shared.tx import Tx

log = get_logger(component="notify.worker")

DIGEST_NAMESPACE = uuid5(NAMESPACE_URL, "https://lapor.go.id/notify/digest")

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
    status: str  # skipped | cancelled
    reason: str


class DeliveryWorker:
    def __init__(
        self, *, pool: Callable[[], asyncpg.Pool], settings: NotifySettings, clock: Clock,
        channels: Mapping[str, Channel], cipher: ContactCipher, outbox: Outbox, producer: str = "notify",
        metrics: Metrics | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._s = settings.sending
        self._clock = clock
        self.channels = dict(channels)
        self._cipher = cipher
        self._outbox = outbox
        self._producer = producer
        self._metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = BackgroundLoop(
            "notify-delivery-worker", self._round, idle_s=self._s.poll_interval_s,
            failure_event="delivery_worker_failed", backoff_initial_s=0.5, backoff_max_s=30.0, log=log,
        )
        self.liveness = Liveness(pool, self._on_notify)
        self._tokens: dict[UUID, int] = {}
        """Lease tokens of this worker's claims still being claimed or sent, with their sends in flight."""
        self.reclaimed = 0
        self.sent = 0
        self.failed = 0
        self._pruned_at: datetime | None = None
        self._housekept_at: datetime | None = None

    # --- running ------------------------------------------------------------------------------

    async def start(self) -> None:
        with contextlib.suppress(Exception):  # the database is away: every round tries again first
            await self.liveness.ensure()
        self._loop.start()
        log.info("delivery_worker_started", concurrency=self._s.concurrency, worker_key=self.liveness.key)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop claiming; let sends in flight finish briefly, then cancel them and give up the liveness
        lock: what is still claimed is taken back by the next round of any worker (the module docstring)."""
        await self._loop.stop(grace_s)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.liveness.release()

    def wake(self) -> None:
        self._loop.wake()

    def _on_notify(self, *_: object) -> None:
        self._loop.wake()

    async def _round(self) -> bool:
        """A round of the loop: when it claimed something, there may be more to claim at once."""
        return await self.tick() > 0

    async def tick(self) -> int:
        """One round: take back orphaned claims, release and expire contact waits, fold digests, claim
        what fits into the free slots and start sending it."""
        await self.liveness.ensure()
        await self.housekeeping()
        free = self._s.concurrency - len(self._tasks)
        if free <= 0 or self._loop.stopping:
            return 0
        token = uuid4()
        self._tokens[token] = 1  # registered before the claim: our own housekeeping never takes it back
        try:
            rows = await self._claim(free, token)
            for row in rows:
                task = asyncio.create_task(self._deliver(row), name=f"deliver-{row['notification_id']}")
                self._tasks.add(task)
                self._tokens[token] += 1
                task.add_done_callback(lambda done, t=token: self._slot_freed(done, t))
        finally:
            self._token_done(token)
        return len(rows)

    def _slot_freed(self, task: asyncio.Task[None], token: UUID) -> None:
        """A delivery finished: its slot is free, so claim again now rather than at the next poll."""
        self._tasks.discard(task)
        self._token_done(token)
        self._loop.wake()

    def _token_done(self, token: UUID) -> None:
        self._tokens[token] -= 1
        if not self._tokens[token]:
            del self._tokens[token]

    async def drain(self, max_rounds: int = 1000) -> None:
        """Run rounds until nothing is due and nothing is in flight (tests; a manual clock)."""
        for _ in range(max_rounds):
            claimed = await self.tick()
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            elif not claimed:
                return
        raise RuntimeError("delivery worker did not settle")

    # --- claim ----------------------------------------------------------------------------------

    async def _claim(self, limit: int, token: UUID) -> list[asyncpg.Record]:
        now = self._clock.now()
        window = now.replace(minute=0, second=0, microsecond=0)
        kept: list[asyncpg.Record] = []
        async with self._pool().acquire() as conn, conn.transaction():
            rows = await repository.claim(conn, now=now, limit=limit, token=token, worker_key=self.liveness.key,
                                          lease_until=now + timedelta(seconds=self._s.lease_s))
            # rate windows are locked in one order by every replica's claim: two claims never deadlock
            for row in sorted(rows, key=lambda r: (r["recipient_ref"], r["channel"])):
                per_hour = self._s.rate_limits_per_hour.get(row["channel"])
                if per_hour and not await repository.take_rate_slot(
                    conn, recipient_ref=row["recipient_ref"], channel=row["channel"], window_start=window,
                    limit=per_hour,
                ):
                    await repository.defer(conn, row["notification_id"], until=window + timedelta(hours=1), now=now)
                    log.info("delivery_rate_limited", delivery_id=str(row["notification_id"]),
                             recipient_ref=row["recipient_ref"], channel=row["channel"])
                    continue
                kept.append(row)
        return kept

    # --- send -------------------------------------------------------------------------------------

    async def _deliver(self, row: asyncpg.Record) -> None:
        carrier = {"traceparent": row["traceparent"]} if row.get("traceparent") else {}
        with (
            continue_trace(carrier, f"deliver {row['channel']}", delivery_id=row["notification_id"]),
            structlog.contextvars.bound_contextvars(
                delivery_id=str(row["notification_id"]), channel=row["channel"], template=row["template"],
                recipient_ref=row["recipient_ref"], tracking_number=row["tracking_number"], attempt=row["attempts"],
                trace_id=current_trace_id(),
            ),
        ):
            try:
                await self._attempt(row)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no outcome recorded: our housekeeping takes the claim back, resend
                log.error("delivery_outcome_not_recorded", error=redact_text(repr(exc))[:300])

    async def _recorded(self, outcome: Callable[[], Awaitable[None]]) -> None:
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

    async def _attempt(self, row: asyncpg.Record) -> None:
        try:
            message = await self._compose(row)
        except ContactDecryptionError:
            await self._recorded(lambda: self._fail(row, "contact_unreadable", "contact token cannot be decrypted"))
            return
        if isinstance(message, Skip):
            await self._recorded(lambda: self._finish(row, message))
            return
        channel = self.channels.get(row["channel"])
        if channel is None:
            await self._recorded(
                lambda: self._fail(row, "channel_unavailable", f"channel {row['channel']} is not configured"))
            return
        try:
            await asyncio.wait_for(channel.send(message), timeout=self._s.lease_s / 2)
        except asyncio.CancelledError:
            raise
        except PermanentError as exc:
            detail = self._safe(exc, message)
            await self._recorded(lambda: self._fail(row, "permanent_error", detail))
        except Exception as exc:  # TransientError, a timeout, or a provider bug: try again later
            detail = self._safe(exc, message)
            if row["attempts"] >= self._s.max_attempts:
                await self._recorded(lambda: self._fail(row, "too_many_attempts", detail))
            else:
                await self._recorded(lambda: self._retry(row, detail))
        else:
            await self._recorded(lambda: self._sent(row))

    async def _compose(self, row: asyncpg.Record) -> OutboundMessage | Skip:
        """Resolve the address just before sending: the reporter's contact is decrypted here and only here."""
        channel, to, secret = row["channel"], None, None
        if channel != "inbox" and row["recipient_kind"] == "reporter":
            async with self._pool().acquire() as conn:
                stored = await repository.contact(conn, row["complaint_id"])
                erased = stored is None and await repository.contact_erased(conn, row["complaint_id"])
            if stored is None:
                return Skip("cancelled", "contact erased") if erased else Skip("skipped", "no contact")
            contact = self._cipher.decrypt(stored["ciphertext"], stored["key_id"])
            if channel == "email":
                to = contact.email
            elif channel == "sms":
                to = contact.phone
                prefer_email = (contact.email and "email" in self.channels and not self._s.reporter_sms_with_email
                                and stored["source_channel"] != "sms")
                if to and prefer_email:
                    return Skip("skipped", "e-mail preferred over SMS")
        elif channel != "inbox":
            async with self._pool().acquire() as conn:
                found = await repository.recipient(conn, row["recipient_ref"])
            recipient = recipients.resolved(found, row["recipient_ref"]) or {}
            to = {"email": recipient.get("email"), "sms": recipient.get("phone"),
                  "webhook": recipient.get("webhook_url")}.get(channel)
            secret = recipient.get("webhook_secret")
        if channel != "inbox" and not to:
            return Skip("skipped", f"no {channel} address")
        return OutboundMessage(
            delivery_id=row["notification_id"], channel=channel, recipient_kind=row["recipient_kind"],
            recipient_ref=row["recipient_ref"], template=row["template"], subject=row["subject"], body=row["body"],
            sms_text=row["sms_text"], tracking_number=row["tracking_number"], complaint_id=row["complaint_id"],
            source_event_id=row["source_event_id"], source_event_type=row["source_event_type"],
            created_at=row["created_at"], to=to, secret=secret, languages=tuple(row["languages"]),
            data=dict(row["data"] or {}),
        )

    @staticmethod
    def _safe(exc: BaseException, message: OutboundMessage) -> str:
        """An error text fit for logs, the database and the dead-letter topic: no address in it."""
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if message.to:
            text = text.replace(message.to, "[alamat]")
        return redact_text(text)[:500]

    # --- outcomes -----------------------------------------------------------------------------

    async def _sent(self, row: asyncpg.Record) -> None:
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
        self.sent += 1
        log.info("delivery_sent")

    async def _retry(self, row: asyncpg.Record, detail: str) -> None:
        now = self._clock.now()
        delay = min(self._s.backoff_initial_s * 2 ** (row["attempts"] - 1), self._s.backoff_max_s)
        async with self._pool().acquire() as conn, conn.transaction():
            await repository.mark_retry(conn, row["notification_id"], row["lease_token"],
                                        at=now + timedelta(seconds=delay), error=detail, now=now)
        log.warning("delivery_retry_scheduled", error=detail, retry_in_s=delay)

    async def _finish(self, row: asyncpg.Record, skip: Skip) -> None:
        async with self._pool().acquire() as conn, conn.transaction():
            await repository.mark_final(conn, row["notification_id"], row["lease_token"], status=skip.status,
                                        error=skip.reason, now=self._clock.now())
        log.info("delivery_not_applicable", status=skip.status, reason=skip.reason)

    async def _fail(self, row: asyncpg.Record, code: str, detail: str) -> None:
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
        self.failed += 1
        log.error("delivery_failed", reason=code, error=detail)

    async def _emit(self, conn: asyncpg.Connection, row: asyncpg.Record, payload: Payload) -> Envelope[Any]:
        """An event about a delivery: the complaint's ids, the story of the event that planned it."""
        tx = Tx(conn, self._outbox, self._producer, metrics=self._metrics)  # notifications sent and failed
        return await tx.emit(
            payload, complaint_id=row["complaint_id"], tracking_number=row["tracking_number"],
            jurisdiction_code=row["jurisdiction_code"], occurred_at=self._clock.now(),
            correlation_id=row["correlation_id"], causation_id=row["source_event_id"],
        )

    # --- housekeeping: contact waits and digests ----------------------------------------------

    async def housekeeping(self) -> None:
        """Take back the claims of dead workers, release contact waits whose contact is stored, expire
        the others, fold due digests, prune now and then: at most once per ``housekeeping_interval_s`` of
        the clock (rounds come as often as deliveries finish)."""
        now = self._clock.now()
        if self._housekept_at is not None and \
                (now - self._housekept_at).total_seconds() < self._s.housekeeping_interval_s:
            return
        self._housekept_at = now
        async with self._pool().acquire() as conn:
            reclaimed = await repository.reclaim_orphans(conn, now=now, lock_class=LOCK_CLASS,
                                                         worker_key=self.liveness.key, own_tokens=list(self._tokens))
            released = await repository.release_waiting_with_contact(conn, now)
            expired = await repository.expire_waiting(conn, now)
            groups = await repository.due_digest_groups(conn, now)
            if self._pruned_at is None or (now - self._pruned_at).total_seconds() >= 300:
                # every five minutes: spent rate windows, and contacts past their complaint's reopen window
                self._pruned_at = now
                await repository.prune_rate_windows(conn, now - timedelta(hours=2))
                forgotten = await repository.forget_contacts_of_closed(
                    conn, now - timedelta(seconds=self._s.contact_retention_after_close_s)
                )
                if forgotten:
                    log.info("contacts_of_closed_complaints_deleted", contacts=forgotten)
        if reclaimed:
            self.reclaimed += len(reclaimed)
            log.warning("deliveries_reclaimed", deliveries=len(reclaimed),
                        delivery_ids=[str(i) for i in reclaimed[:20]])
        if released:
            log.warning("contact_wait_released_late", deliveries=released)
        if expired:
            log.info("contact_wait_expired", deliveries=expired)
        for group in groups:
            await self._fold_digest(group["recipient_ref"], group["channel"])

    async def _fold_digest(self, recipient_ref: str, channel: str) -> None:
        """Fold the due digest items of one recipient and channel into one delivery (one transaction: the
        items are locked and marked, so two replicas never fold the same item twice)."""
        now = self._clock.now()
        async with self._pool().acquire() as conn, conn.transaction():
            items = await repository.lock_digest_items(conn, recipient_ref, channel, now)
            if not items:
                return
            recipient = recipients.resolved(await repository.recipient(conn, recipient_ref), recipient_ref) or {}
            languages = list(recipient.get("languages") or items[0]["languages"])
            period = recipient.get("digest") if recipient.get("digest") in ("hourly", "daily") else "daily"
            entries = [{"tracking_number": i["tracking_number"], "subject": i["subject"]} for i in items]
            rendered = render("digest.officer", languages, {
                "items": entries, "recipient_name": recipient.get("display_name") or recipient_ref, "period": period,
                "tracking_number": entries[0]["tracking_number"],
            }, sms_segments=self._settings.sms.max_segments)
            ids: list[UUID] = [i["notification_id"] for i in items]
            digest_id = uuid4()
            await repository.record(conn, repository.NewDelivery(
                notification_id=digest_id, source_event_id=uuid5(DIGEST_NAMESPACE, ",".join(sorted(map(str, ids)))),
                source_event_type="notify.digest", correlation_id=None, complaint_id=None, tracking_number=None,
                jurisdiction_code=None, recipient_kind=items[0]["recipient_kind"], recipient_ref=recipient_ref,
                channel=channel, template="digest.officer", languages=languages, subject=rendered.subject,
                body=rendered.body, sms_text=rendered.sms,
                data={"tracking_numbers": [e["tracking_number"] for e in entries]},
                status="pending", due_at=now, created_at=now,
            ))
            await repository.mark_digested(conn, ids, digest_id, now)
        log.info("digest_folded", delivery_id=str(digest_id), recipient_ref=recipient_ref, channel=channel,
                 items=len(ids))

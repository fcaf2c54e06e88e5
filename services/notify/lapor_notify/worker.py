"""The delivery worker: claims due deliveries, sends them, and records the outcome.

One claim → send → mark cycle per delivery, each step in a module of its own:
1. **claim** (``claiming.py``, transaction 1): ``FOR UPDATE SKIP LOCKED`` picks due rows; each is set to
   ``sending`` with a lease (``lease_until``) and a fresh lease token, and the attempt is counted; the
   rate limit takes its slot in the same transaction. Commit.
2. **send** (``sending.py``) outside any transaction, several at once (a slow provider holds only its own
   slots; the Kafka consumers never wait for a provider at all). The in-app inbox is no provider: its
   message is a row of ours, written by step 3's transaction.
3. **mark** (``outcomes.py``, transaction 2, shared by the sends that finished about the same time: one
   set-based update and one outbox insert for all of them): ``sent`` + ``notification.sent``; or
   ``pending`` again at ``next_attempt_at`` (exponential backoff, kept in the database); or ``failed`` +
   ``notification.failed`` + a dead letter on ``lapor.deadletter``, both through the outbox. The update
   is guarded by the lease token, so a worker whose lease ran out cannot overwrite another's result.

Before each claim comes housekeeping (``housekeeping.py``): orphaned claims taken back, contact waits
released or expired, due digests folded (``digest.py``), spent rows pruned. This module runs the rounds
(a ``BackgroundLoop``) and keeps the slots and lease tokens of the sends in flight.

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
import functools
from collections.abc import Callable, Mapping
from uuid import UUID

import asyncpg

from lapor_notify import claiming
from lapor_notify.channels.base import Channel
from lapor_notify.housekeeping import Housekeeping
from lapor_notify.liveness import Liveness
from lapor_notify.outcomes import Outcomes
from lapor_notify.sending import Addresses, Dispatcher
from lapor_notify.settings import NotifySettings
from lapor_shared.background import BackgroundLoop
from lapor_shared.clock import Clock
from lapor_shared.crypto import ContactCipher
from lapor_shared.logging import get_logger, redact_text
from lapor_shared.metrics import Metrics
from lapor_shared.outbox import Outbox

log = get_logger(component="notify.worker")


class DeliveryWorker:
    def __init__(
        self, *, pool: Callable[[], asyncpg.Pool], settings: NotifySettings, clock: Clock,
        channels: Mapping[str, Channel], cipher: ContactCipher, outbox: Outbox, producer: str = "notify",
        metrics: Metrics | None = None,
    ) -> None:
        self._pool = pool
        self._s = settings.sending
        self._clock = clock
        self.outcomes = Outcomes(pool=pool, sending=self._s, clock=clock, outbox=outbox, producer=producer,
                                 metrics=metrics)
        self.dispatcher = Dispatcher(pool=pool, sending=self._s, channels=channels, cipher=cipher,
                                     outcomes=self.outcomes)
        self.chores = Housekeeping(pool=pool, settings=settings, clock=clock)
        self.liveness = Liveness(pool, self._on_notify)
        self._loop = BackgroundLoop(
            "notify-delivery-worker", self._round, idle_s=self._s.poll_interval_s,
            failure_event="delivery_worker_failed", backoff_initial_s=0.5, backoff_max_s=30.0, log=log,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._tokens = claiming.LeaseTokens()
        self._slots_short = False
        """The last round could not take every due delivery for want of free slots: a freed slot claims
        again at once. Otherwise nothing is known to be due, and a freed slot leaves the loop asleep until a
        new delivery's NOTIFY (or the poll): an empty claim per finished send was most of the worker's
        statements, and its event loop's time, under load."""

    @property
    def sent(self) -> int:
        return self.outcomes.sent_total

    @property
    def failed(self) -> int:
        return self.outcomes.failed_total

    @property
    def reclaimed(self) -> int:
        return self.chores.reclaimed

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
        await self.outcomes.close(grace_s)
        await self.liveness.release()

    def wake(self) -> None:
        self._loop.wake()

    def _on_notify(self, *_: object) -> None:
        self._loop.wake()

    async def _round(self) -> bool:
        """A round of the loop: when its claim was full (and slots are still free), there may be more to
        claim at once."""
        return await self.tick() > 0 and self._slots_short and len(self._tasks) < self._s.concurrency

    async def tick(self) -> int:
        """One round: take back orphaned claims, release and expire contact waits, fold digests, claim
        what fits into the free slots and start sending it."""
        await self.liveness.ensure()
        await self.housekeeping()
        free = self._s.concurrency - len(self._tasks)
        if free <= 0:
            self._slots_short = True  # whatever is due waits for a slot: the first one freed claims it
        if free <= 0 or self._loop.stopping:
            return 0
        token = self._tokens.open()  # held before the claim: our own housekeeping never takes it back
        try:
            claim = await claiming.claim(self._pool(), now=self._clock.now(), sending=self._s, limit=free,
                                         token=token, worker_key=self.liveness.key)
            self._slots_short, rows = claim.full, claim.rows
            if rows:  # when each delivery was claimed (``tools.bench_hops`` reads it at DEBUG)
                log.debug("deliveries_claimed", delivery_ids=[str(r["notification_id"]) for r in rows])
            try:  # the addresses of the whole claim at once; failing that, each send looks up its own
                addresses: Addresses | None = await self.dispatcher.look_up(rows)
            except Exception as exc:
                log.warning("delivery_addresses_not_read", error=redact_text(repr(exc))[:300])
                addresses = None
            for row in rows:
                task = asyncio.create_task(self.dispatcher.deliver(row, addresses),
                                           name=f"deliver-{row['notification_id']}")
                self._tasks.add(task)
                self._tokens.hold(token)
                task.add_done_callback(functools.partial(self._slot_freed, token=token))
        finally:
            self._tokens.release(token)
        return len(rows)

    def _slot_freed(self, task: asyncio.Task[None], token: UUID) -> None:
        """A delivery finished: its slot is free, so claim again now rather than at the next poll, if the
        slots were what held due deliveries back (``_slots_short``)."""
        self._tasks.discard(task)
        self._tokens.release(token)
        if self._slots_short:
            self._loop.wake()

    async def housekeeping(self) -> None:
        """The chores before a claim (``housekeeping.py``), at most once per ``housekeeping_interval_s``."""
        await self.chores.run(worker_key=self.liveness.key, own_tokens=self._tokens)

    async def drain(self, max_rounds: int = 1000) -> None:
        """Run rounds until nothing is due and nothing is in flight (tests; a manual clock)."""
        for _ in range(max_rounds):
            claimed = await self.tick()
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            elif not claimed:
                return
        raise RuntimeError("delivery worker did not settle")

"""The timer poller: fires due timers exactly once, across restarts, crashes and replicas.

Each round is ONE transaction: find the earliest due timers through the partial index ``timers_due``,
lock their complaints with ``FOR UPDATE SKIP LOCKED`` (a complaint a consumer or another replica is
changing right now waits for the next round: the poller never waits), claim those complaints' due
timers with ``FOR UPDATE SKIP LOCKED``, apply each effect, write its events to the outbox and mark the
timer fired. Consumers lock a complaint before touching its timers too, so the lock order is the same
everywhere and nothing deadlocks. A crash before the commit leaves everything as it was, so the next
round (of this or another replica) fires it; after the commit the timer is no longer due.

A timer whose effect raises is retried on later rounds (inside a savepoint, so the rest of the batch
commits) and set aside as ``failed`` after ``max_attempts``. The poller also refreshes the calendar's
override table every ``calendar_refresh_s``. Rounds repeat in a ``BackgroundLoop``: a database that is
away is waited out with a growing pause, and the poller never dies of it.
"""

from __future__ import annotations

import os
import time
import uuid

from lapor_followup import reference_data, repository, timers
from lapor_followup.context import Context
from lapor_shared.background import BackgroundLoop
from lapor_shared.consumer import Tx
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="followup.poller")


class TimerPoller:
    def __init__(
        self, runtime: Runtime, ctx: Context, *, batch_size: int = 20, interval_s: float = 1.0,
        max_attempts: int = 5, calendar_refresh_s: float = 300.0,
    ) -> None:
        self._runtime = runtime
        self._ctx = ctx
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_attempts = max_attempts
        self.calendar_refresh_s = calendar_refresh_s
        self.poller_id = f"{runtime.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._loop = BackgroundLoop(
            f"timer-poller-{self.poller_id}", self._round, idle_s=interval_s, failure_event="timer_poller_failed",
            backoff_initial_s=0.5, backoff_max_s=10.0, log=log, log_fields={"poller_id": self.poller_id},
        )
        self._calendar_loaded_at = 0.0
        self.fired_total = 0

    # runtime hooks (runtime.on_started / runtime.on_stopping)
    async def start(self, runtime: Runtime | None = None) -> None:
        await self.refresh_calendar()
        self._loop.start()
        log.info("timer_poller_started", poller_id=self.poller_id, interval_s=self.interval_s)

    async def stop(self, runtime: Runtime | None = None) -> None:
        await self._loop.stop(grace_s=5)
        log.info("timer_poller_stopped", poller_id=self.poller_id, fired_total=self.fired_total)

    def wake(self) -> None:
        """Look now (after the clock moved, in tests and simulations)."""
        self._loop.wake()

    async def refresh_calendar(self) -> None:
        """Reload the operator's calendar overrides (a new SKB decree takes effect without a restart)."""
        overrides = await reference_data.calendar_overrides(self._runtime.pool)
        self._ctx.calendar.replace_overrides(overrides)
        self._calendar_loaded_at = time.monotonic()
        log.info("calendar_overrides_loaded", overrides=len(overrides))

    async def run_once(self) -> int:
        """One round: fire what is due now (up to ``batch_size`` complaints). Returns how many timers it
        fired (applied or obsolete)."""
        now = self._ctx.clock.now()
        fired = 0
        async with self._runtime.pool.acquire() as conn, conn.transaction():
            complaints = await repository.lock_complaints_with_due_timers(conn, now=now, limit=self.batch_size)
            due = await repository.claim_due_timers(conn, complaints, now=now) if complaints else []
            tx = Tx(conn, self._runtime.outbox, self._runtime.name, cause=None, metrics=self._runtime.metrics)
            for timer in due:
                case = await repository.lock_complaint(conn, timer["complaint_id"])  # ours already: fresh row
                if case is None:
                    continue
                try:
                    async with conn.transaction():  # savepoint: a failing effect spoils only itself
                        outcome = await timers.fire(tx, self._ctx, case, timer, now)
                        await repository.mark_fired(conn, timer["timer_id"], at=now, outcome=outcome,
                                                    fired_by=self.poller_id)
                    fired += 1
                    log.info("timer_fired", timer_id=timer["timer_id"], kind=timer["kind"], stage=timer["stage"],
                             outcome=outcome, complaint_id=str(timer["complaint_id"]),
                             tracking_number=case["tracking_number"])
                except Exception as exc:
                    give_up = timer["attempts"] + 1 >= self.max_attempts
                    await repository.record_timer_failure(conn, timer["timer_id"], at=now, error=repr(exc),
                                                          give_up=give_up, fired_by=self.poller_id)
                    log.error("timer_failed", timer_id=timer["timer_id"], error=repr(exc),
                              attempts=timer["attempts"] + 1, gave_up=give_up)
        self.fired_total += fired
        if fired and self._runtime.relay is not None:
            self._runtime.relay.backlog_hint()
        return fired

    async def _round(self) -> bool:
        """Refresh the calendar when it is due, then fire: more may be due at once when some fired."""
        if time.monotonic() - self._calendar_loaded_at >= self.calendar_refresh_s:
            await self.refresh_calendar()
        return bool(await self.run_once())

"""Housekeeping, a worker's chores before each claim (at most once per ``housekeeping_interval_s`` of
its clock): take back the claims of dead workers, release the contact waits whose contact is stored,
expire the others, fold the due digests, and now and then prune what is spent.

Taking back claims is the recovery the module docstring of ``worker.py`` describes: a claim whose
worker's liveness lock is no longer held, or one of this worker's own with no send in flight, is due
again at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from lapor_notify import digest, repository
from lapor_notify.liveness import LOCK_CLASS
from lapor_notify.settings import NotifySettings
from lapor_shared.clock import Clock
from lapor_shared.db import Conn
from lapor_shared.logging import get_logger

log = get_logger(component="notify.worker")

PRUNE_EVERY_S = 300.0
"""Spent rate windows, the contacts of complaints past their reopen window and the reporters' keys whose
first message went go every five minutes."""


class Housekeeping:
    def __init__(self, *, pool: Callable[[], asyncpg.Pool], settings: NotifySettings, clock: Clock) -> None:
        self._pool = pool
        self._settings = settings
        self._s = settings.sending
        self._clock = clock
        self._done_at: datetime | None = None
        self._pruned_at: datetime | None = None
        self.reclaimed = 0
        """Deliveries taken back from dead workers (or from this one's lost outcomes) so far."""

    async def run(self, *, worker_key: int, own_tokens: Iterable[UUID]) -> None:
        """The chores, unless they were done less than ``housekeeping_interval_s`` ago (rounds come as
        often as deliveries finish). ``own_tokens``: this worker's claims still in flight."""
        now = self._clock.now()
        if self._done_at is not None and (now - self._done_at).total_seconds() < self._s.housekeeping_interval_s:
            return
        self._done_at = now
        async with self._pool().acquire() as conn:
            reclaimed = await repository.reclaim_orphans(conn, now=now, lock_class=LOCK_CLASS, worker_key=worker_key,
                                                         own_tokens=list(own_tokens))
            released = await repository.release_waiting_with_contact(conn, now)
            expired = await repository.expire_waiting(conn, now)
            groups = await repository.due_digest_groups(conn, now)
            if self._pruned_at is None or (now - self._pruned_at).total_seconds() >= PRUNE_EVERY_S:
                self._pruned_at = now
                await self._prune(conn, now)
        if reclaimed:
            self.reclaimed += len(reclaimed)
            log.warning("deliveries_reclaimed", deliveries=len(reclaimed),
                        delivery_ids=[str(i) for i in reclaimed[:20]])
        if released:
            log.warning("contact_wait_released_late", deliveries=released)
        if expired:
            log.info("contact_wait_expired", deliveries=expired)
        for group in groups:
            await digest.fold(self._pool, self._clock, recipient_ref=group["recipient_ref"], channel=group["channel"],
                              sms_segments=self._settings.sms.max_segments)

    async def _prune(self, conn: Conn, now: datetime) -> None:
        """Spent rate windows, contacts past their complaint's reopen window, reporters' keys already sent."""
        await repository.prune_rate_windows(conn, now - timedelta(hours=2))
        forgotten = await repository.forget_contacts_of_closed(
            conn, now - timedelta(seconds=self._s.contact_retention_after_close_s)
        )
        if forgotten:
            log.info("contacts_of_closed_complaints_deleted", contacts=forgotten)
        keys = await repository.forget_spent_reporter_keys(conn)
        if keys:
            log.info("reporter_keys_deleted", contacts=keys)

"""Claiming: which due deliveries a worker takes, under a lease, within the recipients' rate limits.

``FOR UPDATE SKIP LOCKED`` picks due rows (``repository.claim``); each is set to ``sending`` with a lease
(``lease_until``) and the claim's lease token, stamped with the worker's liveness key, and the attempt is
counted. The rate limit takes its slot in the same transaction: a delivery over its recipient's hourly
limit goes back, due at the next window, without counting the attempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID, uuid4

import asyncpg

from lapor_notify import repository
from lapor_notify.settings import SendingSettings
from lapor_shared.logging import get_logger

log = get_logger(component="notify.worker")


class Claim(NamedTuple):
    rows: list[asyncpg.Record]
    """The deliveries to send now (those over a rate limit went back)."""
    full: bool
    """The claim took all ``limit`` rows it was allowed: more may be due, waiting for a free slot."""


async def claim(
    pool: asyncpg.Pool, *, now: datetime, sending: SendingSettings, limit: int, token: UUID, worker_key: int,
) -> Claim:
    """Up to ``limit`` due deliveries for this worker, each within its recipient's rate limit (one
    transaction: the claim and the rate slots commit together)."""
    window = now.replace(minute=0, second=0, microsecond=0)
    kept: list[asyncpg.Record] = []
    async with pool.acquire() as conn, conn.transaction():
        rows = await repository.claim(conn, now=now, limit=limit, token=token, worker_key=worker_key,
                                      lease_until=now + timedelta(seconds=sending.lease_s))
        # rate windows are locked in one order by every replica's claim: two claims never deadlock
        for row in sorted(rows, key=lambda r: (r["recipient_ref"], r["channel"])):
            per_hour = sending.rate_limits_per_hour.get(row["channel"])
            if per_hour and not await repository.take_rate_slot(
                conn, recipient_ref=row["recipient_ref"], channel=row["channel"], window_start=window,
                limit=per_hour,
            ):
                await repository.defer(conn, row["notification_id"], until=window + timedelta(hours=1), now=now)
                log.info("delivery_rate_limited", delivery_id=str(row["notification_id"]),
                         recipient_ref=row["recipient_ref"], channel=row["channel"])
                continue
            kept.append(row)
    return Claim(kept, full=len(rows) >= limit)


class LeaseTokens:
    """The lease tokens of this worker's claims still being claimed or sent. Housekeeping never takes back
    a claim whose token is here; a token leaves when its claim and every send it started are done."""

    def __init__(self) -> None:
        self._held: dict[UUID, int] = {}

    def open(self) -> UUID:
        """A token for a claim about to be made (held before the claim, so no round takes it back)."""
        token = uuid4()
        self._held[token] = 1
        return token

    def hold(self, token: UUID) -> None:
        """One more send in flight under ``token``."""
        self._held[token] += 1

    def release(self, token: UUID) -> None:
        """The claim, or one of its sends, is done."""
        self._held[token] -= 1
        if not self._held[token]:
            del self._held[token]

    def __iter__(self) -> Iterator[UUID]:
        return iter(list(self._held))

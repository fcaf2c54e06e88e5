"""Claiming: which due deliveries a worker takes, under a lease, within the recipients' rate limits.

``FOR UPDATE SKIP LOCKED`` picks due rows (``repository.claim``); each is set to ``sending`` with a lease
(``lease_until``) and the claim's lease token, stamped with the worker's liveness key, and the attempt is
counted. The rate limits take their slots in the same transaction, for the whole claim in one statement
(``repository.take_rate_slots``; a window that cannot take all of the claim's sends at once, one by one): a
delivery over its recipient's hourly limit goes back, due at the next window, without counting the attempt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID, uuid4

import asyncpg

from lapor_notify import repository
from lapor_notify.settings import SendingSettings
from lapor_shared.db import Conn
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
    async with pool.acquire() as conn, conn.transaction():
        rows = await repository.claim(conn, now=now, limit=limit, token=token, worker_key=worker_key,
                                      lease_until=now + timedelta(seconds=sending.lease_s))
        deferred = await _over_the_limits(conn, rows, sending.rate_limits_per_hour, window)
        await repository.defer(conn, [row["notification_id"] for row in deferred], until=window + timedelta(hours=1),
                               now=now)
    for row in deferred:
        log.info("delivery_rate_limited", delivery_id=str(row["notification_id"]),
                 recipient_ref=row["recipient_ref"], channel=row["channel"])
    back = {row["notification_id"] for row in deferred}
    return Claim([row for row in rows if row["notification_id"] not in back], full=len(rows) >= limit)


async def _over_the_limits(conn: Conn, rows: list[asyncpg.Record], limits: dict[str, int],
                           window: datetime) -> list[asyncpg.Record]:
    """Take the claim's rate slots (the whole claim at once; a window that cannot take all of its sends at
    once, locked by then, one by one in due order); the rows that found their window full."""
    limits = {channel: per_hour for channel, per_hour in limits.items() if per_hour}
    limited = [row for row in rows if row["channel"] in limits]
    granted = await repository.take_rate_slots(
        conn, Counter((row["recipient_ref"], row["channel"]) for row in limited), limits, window)
    full: list[asyncpg.Record] = []
    for row in sorted(limited, key=lambda r: (r["recipient_ref"], r["channel"])):
        key = (row["recipient_ref"], row["channel"])
        if key in granted:
            taken = granted[key] > 0
            granted[key] -= 1
        else:
            taken = await repository.take_rate_slot(conn, recipient_ref=key[0], channel=key[1], window_start=window,
                                                    limit=limits[key[1]])
        if not taken:
            full.append(row)
    return full


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

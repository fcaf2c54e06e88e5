"""The in-app inbox: a table the status page reads (GET /api/v1/inbox/{tracking_number}).

Its "send" is a row in notify's own database, so the sends that come together are written together
(group commit, as the outcomes are): while one insert is on its way, the next messages queue, and go
in one statement after it. A lone message waits for nobody; under load one round trip (and one pool
connection) carries many messages instead of one each. A batch the database refuses is written again
one message at a time, so one bad message fails only its own send (the worker retries it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from lapor_notify import repository
from lapor_notify.channels.base import OutboundMessage

MAX_BATCH = 256


class InboxChannel:
    name = "inbox"
    in_outcome_transaction = True
    """The worker writes this channel's messages in the transaction that records their outcome
    (``outcomes.record_together``): the message and its ``sent`` commit together, and a send costs no
    connection and no transaction of its own. ``send`` remains for a message written alone."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool
        self._queue: list[tuple[OutboundMessage, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.writes = 0
        """Insert statements so far (with the messages sent: messages per statement)."""

    async def send(self, message: OutboundMessage) -> None:
        """Keyed by the delivery id: a resend after a lease expiry writes nothing twice."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((message, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="notify-inbox")
        await done

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self._write([m for m, _ in batch])
                _settle(batch)
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch, exc)
                    continue
                for one in batch:  # the batch was refused: each message alone, so one fails only itself
                    try:
                        await self._write([one[0]])
                        _settle([one])
                    except Exception as alone:
                        _settle([one], alone)

    async def _write(self, messages: list[OutboundMessage]) -> None:
        async with self._pool().acquire() as conn:
            await repository.put_in_inbox(conn, messages)
        self.writes += 1


def _settle(batch: list[tuple[OutboundMessage, asyncio.Future[None]]], error: BaseException | None = None) -> None:
    for _, done in batch:
        if done.done():
            continue  # its send was cancelled meanwhile
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

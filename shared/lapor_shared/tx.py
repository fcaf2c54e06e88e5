"""What a use case gets from the consumer: the open transaction and a way to emit events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from lapor_shared.events import Envelope, Payload
from lapor_shared.metrics import Metrics
from lapor_shared.outbox import Outbox


@dataclass
class Tx:
    """What a use case gets: the open transaction and a way to emit events through the outbox."""

    conn: asyncpg.Connection
    outbox: Outbox
    producer: str
    cause: Envelope[Any] | None = None
    emitted: list[Envelope[Any]] = field(default_factory=list)
    metrics: Metrics | None = None

    async def emit(self, payload: Payload, **envelope_fields: Any) -> Envelope[Any]:
        """Write an event to the outbox in this transaction; it carries the current trace context."""
        return await self.add(Envelope.new(payload, producer=self.producer, caused_by=self.cause, **envelope_fields))

    async def add(self, envelope: Envelope[Any], topics: Sequence[str] = ()) -> Envelope[Any]:
        """Write a ready envelope to the outbox (to ``topics``, or its catalogued destinations) and count it."""
        await self.outbox.add(self.conn, envelope, topics)
        self.emitted.append(envelope)
        if self.metrics is not None:
            self.metrics.emitted(envelope.event_type)
        return envelope


Handler = Callable[[Tx, Envelope[Any]], Awaitable[None]]
Answer = Callable[[Tx, Any], Awaitable[bool]]
"""Given a record that cannot be decoded, answer its sender in the transaction (True) or let it be
dead-lettered (False); intake tells a channel why its submission was unreadable this way."""

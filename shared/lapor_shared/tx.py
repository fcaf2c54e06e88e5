"""What a use case gets from the consumer: the open transaction and a way to emit events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from lapor_shared.db import Conn
from lapor_shared.events import Envelope, Payload
from lapor_shared.inbox import InboxRows
from lapor_shared.metrics import Metrics
from lapor_shared.outbox import Outbox
from lapor_shared.tracing import current_trace_headers


@dataclass(frozen=True, slots=True)
class Source:
    """Where the message being handled was read: its topic (for a command, the topic names the sender:
    ``lapor_shared.binding``), partition and offset."""

    topic: str
    partition: int
    offset: int

    @classmethod
    def of(cls, record: Any) -> Source:
        return cls(record.topic, record.partition, record.offset)


@dataclass
class Pending:
    """Events a consumer's transaction emitted, written to the outbox together just before it commits:
    one statement for a whole batch instead of one per event (a round trip each, issue 17), which also
    records the batch in the inbox. Until then they are in no table, so nothing in the transaction may
    read them back from the outbox."""

    envelopes: list[Envelope[Any]] = field(default_factory=list)
    headers: list[Mapping[str, str] | None] = field(default_factory=list)
    topics: list[Sequence[str]] = field(default_factory=list)

    async def flush(self, conn: Conn, outbox: Outbox, inbox: InboxRows | None = None) -> bool:
        """Write the events; with ``inbox``, record the batch in the same statement (``Outbox.add_many``):
        False when any of its ids was recorded before, and the caller rolls back."""
        if not self.envelopes and inbox is None:
            return True
        recorded = await outbox.add_many(conn, self.envelopes, self.headers, self.topics, inbox=inbox)
        self.envelopes, self.headers, self.topics = [], [], []
        return recorded


@dataclass
class Tx:
    """What a use case gets: the open transaction, the message it handles (``cause``, read from
    ``source``) and a way to emit events through the outbox.

    With ``pending`` (a consumer's transaction), the events are written when the consumer flushes it,
    before the commit; without (an HTTP request, a timer round), at once.
    """

    conn: Conn
    outbox: Outbox
    producer: str
    cause: Envelope[Any] | None = None
    emitted: list[Envelope[Any]] = field(default_factory=list)
    metrics: Metrics | None = None
    source: Source | None = None
    """None when no Kafka record is being handled (a timer, a test calling a use case directly)."""
    pending: Pending | None = None
    scope: Callable[[], AbstractContextManager[object]] = nullcontext
    """Entered, log lines name ``cause`` and the trace is its own: the consumer enters it around a handler,
    a ``Batch`` handler around its work on each event (statements for the whole batch run outside)."""

    @property
    def event(self) -> Envelope[Any]:
        """The event this transaction was opened for (``cause``): a consumer gives one to every ``Tx`` it
        hands a use case, each of a ``Batch`` run its own. A ``Tx`` opened for no event (a timer round, an
        HTTP request) has none; asking for it there is a bug, said at once rather than as a ``None`` met
        later. Code that may run without an event reads ``cause`` and says what it does without one."""
        if self.cause is None:
            raise LookupError(f"this {self.producer} transaction was opened for no event (not by a consumer): "
                              "it has no tx.event; read tx.cause where there may be none")
        return self.cause

    async def emit(
        self, payload: Payload, *, correlation_id: UUID | None = None, causation_id: UUID | None = None,
        topics: Sequence[str] = (), **envelope_fields: Any,
    ) -> Envelope[Any]:
        """Write an event to the outbox in this transaction; it carries the current trace context.

        The envelope is ``Envelope.new(payload, caused_by=<the message being handled>, **envelope_fields)``:
        ids left out are inherited from the cause (``caused_by=None`` inherits nothing). ``correlation_id``
        and ``causation_id``, when given, replace what the cause would give: the story an event belongs
        to (a timer or a delivery has no cause of its own) and the event that caused it. ``topics``: see
        ``add``.
        """
        return await self.add(self.envelope(payload, correlation_id=correlation_id, causation_id=causation_id,
                                            **envelope_fields), topics)

    def envelope(
        self, payload: Payload, *, correlation_id: UUID | None = None, causation_id: UUID | None = None,
        **envelope_fields: Any,
    ) -> Envelope[Any]:
        """The envelope ``emit`` would write, not written yet (for ``add_many``); ``correlation_id`` and
        ``causation_id``, given, win over the cause's (built once: a copy validated again was dear, issue 17)."""
        envelope_fields.setdefault("caused_by", self.cause)
        return Envelope.new(payload, producer=self.producer, correlation_id=correlation_id,
                            causation_id=causation_id, **envelope_fields)

    async def add(self, envelope: Envelope[Any], topics: Sequence[str] = ()) -> Envelope[Any]:
        """Write a ready envelope to the outbox (to ``topics``, or its catalogued destinations) and count it."""
        if self.pending is not None:
            self.pending.envelopes.append(envelope)
            self.pending.headers.append(current_trace_headers())
            self.pending.topics.append(topics)
        else:
            await self.outbox.add(self.conn, envelope, topics)
        self.emitted.append(envelope)
        if self.metrics is not None:
            self.metrics.emitted(envelope.event_type)
        return envelope

    async def add_many(
        self, envelopes: Sequence[Envelope[Any]], extra_headers: Sequence[Mapping[str, str] | None] | None = None,
    ) -> None:
        """Write ready envelopes to the outbox in one statement (``Outbox.add_many``) and count them."""
        if self.pending is not None:
            extras = list(extra_headers) if extra_headers is not None else [None] * len(envelopes)
            self.pending.envelopes.extend(envelopes)
            self.pending.headers.extend(current_trace_headers() if extra is None else extra for extra in extras)
            self.pending.topics.extend(() for _ in envelopes)
        else:
            await self.outbox.add_many(self.conn, envelopes, extra_headers)
        self.emitted.extend(envelopes)
        if self.metrics is not None:
            for envelope in envelopes:
                self.metrics.emitted(envelope.event_type)


def with_events(txs: Iterable[Tx]) -> list[tuple[Tx, Envelope[Any]]]:
    """Each ``Tx`` of a ``Batch`` run paired with its event (``Tx.event``), in the run's order."""
    return [(tx, tx.event) for tx in txs]


Handler = Callable[[Tx, Envelope[Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Batch:
    """A use case that takes a run of events at once, to turn them into a few set-based statements (a
    statement per kind of row per batch, not per event: issue 17). The consumer hands it each run of
    consecutive fresh events mapped to this same ``Batch`` in the record order, one ``Tx`` per event (its
    ``cause`` is the event; enter ``tx.scope()`` for what is said or emitted about it). It shares the
    batch's transaction; if it fails, the batch is taken again one event at a time, each a run of one."""

    handle: Callable[[Sequence[Tx]], Awaitable[None]]


Use = Handler | Batch
"""What a consumer maps an event type to."""
Answer = Callable[[Tx, Any], Awaitable[bool]]
"""Given a record that cannot be decoded, answer its sender in the transaction (True) or let it be
dead-lettered (False); intake tells a channel why its submission was unreadable this way."""

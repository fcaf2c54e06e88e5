"""Running one service in-process for fast tests: FastStream's in-memory broker (``TestKafkaBroker``) for
the messages, a real PostgreSQL for the state, and what the service publishes recorded.

    async with ServiceHarness(build(settings).runtime, watch=[COMPLAINTS.name]) as service:
        await service.publish(accepted_envelope())
        await service.until(lambda: service.on(COMPLAINTS.name, "complaint.routed"))

Each service's tests extend ``ServiceHarness`` with sentences of their own (intake's ``submit``, routing's
``accept``, notify's ``deliver`` …) in their ``conftest.py`` or ``tests/harness.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Self

import asyncpg
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from lapor_shared.consumer import Consumer
from lapor_shared.events import Envelope, decode, encode, headers_of
from lapor_shared.outbox import BrokerSender
from lapor_shared.runtime import Runtime
from lapor_shared.topics import JURISDICTION_PREFIX, destinations, key_of


def undeclared_destinations(runtime: Runtime[Any], envelope: Envelope[Any], topics: Sequence[str] = ()) -> list[str]:
    """Where ``envelope`` goes (``topics``, or its catalogued destinations) that ``runtime`` never declared with
    ``Runtime.publishes``. The deployment's Kafka ACLs are derived from those declarations
    (``tests/deploy``), so a real broker would refuse these rows and park them."""
    declared = [p for p in runtime.publications if p.event_type == envelope.event_type]
    fixed = {topic for p in declared for topic in p.topics}
    jurisdictions = any(p.jurisdictions for p in declared)
    families = tuple(p.family for p in declared if p.family)
    return [topic for topic in (list(topics) or destinations(envelope))
            if topic not in fixed and not (jurisdictions and topic.startswith(JURISDICTION_PREFIX + "."))
            and not topic.startswith(families)]


@asynccontextmanager
async def in_memory(runtime: Runtime[Any]) -> AsyncIterator[KafkaBroker]:
    """Start ``runtime`` on the in-memory broker; its outbox publishes there too.

    ``await broker.publish(body, topic=...)`` delivers to the service's subscribers at once; the
    relay's output is visible to any subscriber the test adds before entering. On leaving, it fails if
    the service emitted an event to a topic it did not declare (``undeclared_destinations``).
    """
    runtime.sender = BrokerSender(runtime.broker)
    undeclared: list[str] = []
    add = runtime.outbox.add

    async def declared_add(conn: Any, envelope: Envelope[Any], topics: Sequence[str] = (),
                           extra_headers: Any = None) -> None:
        undeclared.extend(f"{envelope.event_type} → {topic}"
                          for topic in undeclared_destinations(runtime, envelope, topics))
        await add(conn, envelope, topics, extra_headers)

    runtime.outbox.add = declared_add  # type: ignore[method-assign]  # the harness watches what is emitted
    async with TestKafkaBroker(runtime.broker) as broker:
        await runtime.start()
        try:
            yield broker
        finally:
            await runtime.stop()
    assert not undeclared, (
        f"lapor-{runtime.name} emitted to topics it never declared with runtime.publishes (its Kafka user may not"
        f" write them): {sorted(set(undeclared))}"
    )


@dataclass
class Published:
    """A message the service published, as its subscribers receive it."""

    topic: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    key: bytes | None = None
    _json: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _envelope: Envelope[Any] | None = field(default=None, repr=False, compare=False)

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (``{}`` when it is not one: a dead letter of garbage)."""
        if self._json is None:
            try:
                data = json.loads(self.body)
            except ValueError:
                data = {}
            self._json = data if isinstance(data, dict) else {}
        return self._json

    @property
    def envelope(self) -> Envelope[Any]:
        """The body decoded as one of our envelopes (raises for anything else)."""
        if self._envelope is None:
            self._envelope = decode(self.body)
        return self._envelope


class ServiceHarness:
    """A service started on the in-memory broker with a real PostgreSQL (``async with``); every message it
    publishes on ``watch`` (topic names) and ``patterns`` (topic patterns) is recorded in ``published``.
    Watchers are added before the service starts, as FastStream requires."""

    def __init__(self, runtime: Runtime[Any], *, watch: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        self.runtime = runtime
        self.published: list[Published] = []
        for topic in dict.fromkeys(watch):
            runtime.broker.subscriber(topic, group_id=f"test-watch-{topic}")(self._recorder())
        for pattern in dict.fromkeys(patterns):
            runtime.broker.subscriber(pattern=pattern, group_id=f"test-watch-{pattern}")(self._recorder())
        self._running: AbstractAsyncContextManager[KafkaBroker] | None = None
        self._broker: KafkaBroker | None = None

    def _recorder(self) -> Callable[..., Any]:
        context = self.runtime.broker.context

        async def record(body: bytes) -> None:
            msg: KafkaMessage = context.get_local("message")  # as the runtime's handler: no thread hop
            raw = msg.raw_message
            assert not isinstance(raw, tuple), "a batch subscriber"
            self.published.append(Published(raw.topic, body, {k: str(v) for k, v in (msg.headers or {}).items()},
                                             getattr(raw, "key", None)))

        return record

    async def __aenter__(self) -> Self:
        self._running = in_memory(self.runtime)
        self._broker = await self._running.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._running is not None
        await self._running.__aexit__(*exc)

    @property
    def broker(self) -> KafkaBroker:
        if self._broker is None:
            raise RuntimeError("the broker exists once the service has started (async with)")
        return self._broker

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    @property
    def database_url(self) -> str:
        return str(self.runtime.settings.database_url)

    # --- sending ------------------------------------------------------------------------------------

    async def publish(self, *envelopes: Envelope[Any], topic: str | None = None) -> None:
        """Each envelope, in order, on ``topic`` (by default its first catalogued destination), with the
        headers and key its producer would give it; the service's subscribers handle each one before the
        next is sent."""
        for envelope in envelopes:
            to = topic or destinations(envelope)[0]
            await self.broker.publish(encode(envelope), topic=to, key=key_of(envelope, to),
                                      headers=headers_of(envelope))

    async def publish_raw(self, body: bytes, *, topic: str, key: bytes | None = None) -> None:
        """Bytes as any client could write them: no headers, no contract."""
        await self.broker.publish(body, topic=topic, key=key)

    # --- reading what it published ----------------------------------------------------------------------

    def published_on(self, topic: str) -> list[Published]:
        return [p for p in self.published if p.topic == topic]

    def bodies(self, topic: str) -> list[bytes]:
        return [p.body for p in self.published_on(topic)]

    def messages(self, topic: str, event_type: str | None = None) -> list[dict[str, Any]]:
        """The JSON objects published on ``topic``, optionally of one event type."""
        found = (p.json() for p in self.published_on(topic))
        return [m for m in found if m and (event_type is None or m.get("event_type") == event_type)]

    def on(self, topic: str, event_type: str | None = None) -> list[Envelope[Any]]:
        """The envelopes published on ``topic``, optionally of one event type, oldest first."""
        found = (p.envelope for p in self.published_on(topic))
        return [e for e in found if event_type is None or e.event_type == event_type]

    # --- waiting ------------------------------------------------------------------------------------

    async def until(self, predicate: Callable[[], Any], *, timeout: float = 15.0) -> Any:
        """Wait until ``predicate()`` (sync or async) is truthy, waking the relay meanwhile; return its
        value, or fail the test when it never is."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            self._wake_relay()
            await asyncio.sleep(0.02)

    async def settle(self, *, timeout: float = 10.0) -> None:
        """Wait until the outbox has nothing left to publish: everything the service emitted so far has
        reached the watchers."""
        async with asyncio.timeout(timeout):
            while await self.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                self._wake_relay()
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.02)  # the in-memory subscribers of the last rows

    def _wake_relay(self) -> None:
        if self.runtime.relay is not None:
            self.runtime.relay.backlog_hint()

    # --- the service's own store and parts ------------------------------------------------------------

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self.pool.fetch(query, *args)

    def consumer(self, name: str) -> Consumer:
        return next(c for c in self.runtime.consumers if c.name == name)

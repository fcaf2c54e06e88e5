"""Running one service's handlers in-process for fast tests: FastStream's in-memory broker
(``TestKafkaBroker``) for the messages, a real PostgreSQL for the state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.kafka import KafkaBroker, TestKafkaBroker

from lapor_shared.outbox import BrokerSender
from lapor_shared.runtime import Runtime


@asynccontextmanager
async def in_memory(runtime: Runtime) -> AsyncIterator[KafkaBroker]:
    """Start ``runtime`` on the in-memory broker; its outbox publishes there too.

    ``await broker.publish(body, topic=...)`` delivers to the service's subscribers at once; the
    relay's output is visible to any subscriber the test adds before entering.
    """
    runtime.sender = BrokerSender(runtime.broker)
    async with TestKafkaBroker(runtime.broker) as broker:
        await runtime.start()
        try:
            yield broker
        finally:
            await runtime.stop()

"""A batch subscriber takes a record the moment aiokafka has it, not after a nap (issue 17, light load).

FastStream's batch subscriber polls with ``getmany(timeout_ms=batch_timeout_ms)`` and, when the poll comes
back empty, sleeps as long again before the next one. ``getmany`` already waited that long for a record
(it returns the moment the fetcher hands one over), so the sleep adds nothing but delay: a record that
arrives while the loop sleeps waits for the sleep to end. On the embedded Tansu at a light 10 records a
second, that nap was about 4 of a hop's 9 ms between "sent" and "handled" (``tools/bench_hops``
measurements in ``docs/performance.md``), paid at every hop of a complaint's way.

``install()`` replaces the poll: after an empty ``getmany`` it sleeps only what is left of
``batch_timeout_ms``, which is nothing when ``getmany`` waited its whole timeout and the rest when it came
back early (no partitions assigned during a rebalance, a stopped fetcher): the loop never spins. What is
read, and when it is committed, do not change. ``lapor_shared.fetch_pace`` still sets ``batch_timeout_ms``
for an idle subscriber: it is then how long each empty poll waits.
"""

from __future__ import annotations

import time
from itertools import chain
from typing import Any

import anyio
from faststream.kafka.subscriber.usecase import BatchSubscriber

_installed = False


async def get_msg(subscriber: Any, consumer: Any) -> tuple[Any, ...]:
    """One poll of ``subscriber``'s batch loop: the records ``consumer`` has, or ``()`` after at most
    ``batch_timeout_ms`` (sleeping only the part of it ``getmany`` did not wait)."""
    began = time.monotonic()
    messages = await consumer.getmany(timeout_ms=subscriber.batch_timeout_ms, max_records=subscriber.max_records)
    if messages:
        return tuple(chain(*messages.values()))
    left = subscriber.batch_timeout_ms / 1000 - (time.monotonic() - began)
    if left > 0:
        await anyio.sleep(left)
    return ()


def install() -> None:
    """Make every FastStream batch subscriber of this process poll with ``get_msg`` (idempotent)."""
    global _installed
    if _installed:
        return

    async def patched(self: BatchSubscriber, consumer: Any) -> tuple[Any, ...]:
        return await get_msg(self, consumer)

    BatchSubscriber.get_msg = patched  # type: ignore[method-assign]
    _installed = True

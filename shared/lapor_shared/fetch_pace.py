"""Quiet when idle (issue 17): a subscriber with nothing to read asks the broker less often.

A busy subscriber keeps its fetch wait short: the embedded Tansu answers a waiting fetch only when the
wait is over, so every hop would otherwise wait that long. But a short wait makes an idle subscriber
ask 50 times a second, and FastStream's batch loop wakes as often again (an empty poll is followed by a
sleep as long as the batch timeout): with a dozen consumer groups, an idle platform kept the broker at
a third of a core. ``FetchPace`` gives a subscriber that has read nothing for ``idle_after_s`` the long
waits and gives it the short ones back at its next record.

What changes is only how long the broker may hold an empty fetch and how long the batch loop sleeps
after one, never what is read or committed; the price is that the first record after a quiet spell waits
up to ``idle_fetch_max_wait_ms`` + ``idle_batch_timeout_ms`` more at each hop.

It sets two attributes neither library exposes as settable (aiokafka's ``Fetcher._fetch_max_wait_ms``,
read for each fetch request, and FastStream's ``BatchSubscriber.batch_timeout_ms``, read for each poll);
a subscriber without them is left as it is, so a library upgrade that renames them costs only the saving.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

from lapor_shared.background import BackgroundLoop
from lapor_shared.logging import get_logger

log = get_logger(component="fetch_pace")


@dataclass(frozen=True)
class Pace:
    fetch_max_wait_ms: int
    batch_timeout_ms: int


class FetchPace:
    def __init__(self, *, busy: Pace, idle: Pace, idle_after_s: float) -> None:
        self.busy = busy
        self.idle = Pace(max(idle.fetch_max_wait_ms, busy.fetch_max_wait_ms),
                         max(idle.batch_timeout_ms, busy.batch_timeout_ms))
        self.idle_after_s = idle_after_s
        self._last_read: dict[int, float] = {}
        self._idle: set[int] = set()
        self._subscribers: list[Any] = []
        self._loop = BackgroundLoop("fetch-pace", self._round, idle_s=max(idle_after_s / 2, 0.5),
                                    failure_event="fetch_pace_failed", log=log)

    def track(self, subscriber: Any) -> None:
        """Pace ``subscriber`` (what ``broker.subscriber(…)`` returned) from the start."""
        self._subscribers.append(subscriber)
        self._last_read[id(subscriber)] = time.monotonic()

    def read(self, subscriber: Any) -> None:
        """``subscriber`` has just been handed records: busy again, at once."""
        key = id(subscriber)
        self._last_read[key] = time.monotonic()
        if key in self._idle:
            self._idle.discard(key)
            self._set(subscriber, self.busy)

    def start(self) -> None:
        if self.idle != self.busy:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop(grace_s=1)

    async def _round(self) -> bool:
        quiet_since = time.monotonic() - self.idle_after_s
        for subscriber in self._subscribers:
            key = id(subscriber)
            if key not in self._idle and self._last_read.get(key, 0.0) < quiet_since:
                self._idle.add(key)
                self._set(subscriber, self.idle)
        return False

    @staticmethod
    def _set(subscriber: Any, pace: Pace) -> None:
        fetcher = getattr(getattr(subscriber, "consumer", None), "_fetcher", None)
        if fetcher is not None and hasattr(fetcher, "_fetch_max_wait_ms"):
            fetcher._fetch_max_wait_ms = pace.fetch_max_wait_ms
        if hasattr(subscriber, "batch_timeout_ms"):
            with contextlib.suppress(AttributeError):
                subscriber.batch_timeout_ms = pace.batch_timeout_ms

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

Not every subscription is a hop that a complaint waits at: commands people send (an officer's click, an
admin's decision) and read models only people look at can wait longer when idle. Each subscription has a
``Tempo``; ``PEOPLE``'s idle waits are the longer ``people_idle_*`` settings (issue 17, lever 4).

It sets two attributes neither library exposes as settable (aiokafka's ``Fetcher._fetch_max_wait_ms``,
read for each fetch request, and FastStream's ``BatchSubscriber.batch_timeout_ms``, read for each poll);
a subscriber without them is left as it is, so a library upgrade that renames them costs only the saving.
"""

from __future__ import annotations

import contextlib
import enum
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


class Tempo(enum.Enum):
    """How long a subscription may keep a record waiting after a quiet spell."""

    PIPELINE = "pipeline"
    """A hop of a complaint's way through the platform (submission, lifecycle, contacts, a channel's
    answer): the next hop waits for this one, so an idle subscriber keeps the short idle waits."""
    PEOPLE = "people"
    """Commands people send and records nothing downstream waits for (read models people look at, notes
    kept for a later command): the first record after a quiet spell may wait about a second."""


class FetchPace:
    def __init__(self, *, busy: Pace, idle: Pace, idle_after_s: float, people: Pace | None = None) -> None:
        """``idle`` is the idle pace of ``Tempo.PIPELINE``, ``people`` of ``Tempo.PEOPLE`` (``idle`` when
        None); neither is ever shorter than ``busy``."""
        self.busy = busy
        self.idle = self._no_shorter(idle)
        self.people = self._no_shorter(people or idle)
        self.idle_after_s = idle_after_s
        self._last_read: dict[int, float] = {}
        self._idle: set[int] = set()
        self._subscribers: list[tuple[Any, Pace]] = []
        self._loop = BackgroundLoop("fetch-pace", self._round, idle_s=max(idle_after_s / 2, 0.5),
                                    failure_event="fetch_pace_failed", log=log)

    def _no_shorter(self, pace: Pace) -> Pace:
        return Pace(max(pace.fetch_max_wait_ms, self.busy.fetch_max_wait_ms),
                    max(pace.batch_timeout_ms, self.busy.batch_timeout_ms))

    def idle_pace(self, tempo: Tempo) -> Pace:
        return self.people if tempo is Tempo.PEOPLE else self.idle

    def track(self, subscriber: Any, tempo: Tempo = Tempo.PIPELINE) -> None:
        """Pace ``subscriber`` (what ``broker.subscriber(…)`` returned) from the start."""
        self._subscribers.append((subscriber, self.idle_pace(tempo)))
        self._last_read[id(subscriber)] = time.monotonic()

    def read(self, subscriber: Any) -> None:
        """``subscriber`` has just been handed records: busy again, at once."""
        key = id(subscriber)
        self._last_read[key] = time.monotonic()
        if key in self._idle:
            self._idle.discard(key)
            self._set(subscriber, self.busy)

    def start(self) -> None:
        if any(idle != self.busy for _, idle in self._subscribers):
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop(grace_s=1)

    async def _round(self) -> bool:
        quiet_since = time.monotonic() - self.idle_after_s
        for subscriber, idle in self._subscribers:
            key = id(subscriber)
            if key not in self._idle and self._last_read.get(key, 0.0) < quiet_since:
                self._idle.add(key)
                self._set(subscriber, idle)
        return False

    @staticmethod
    def _set(subscriber: Any, pace: Pace) -> None:
        fetcher = getattr(getattr(subscriber, "consumer", None), "_fetcher", None)
        if fetcher is not None and hasattr(fetcher, "_fetch_max_wait_ms"):
            fetcher._fetch_max_wait_ms = pace.fetch_max_wait_ms
        if hasattr(subscriber, "batch_timeout_ms"):
            with contextlib.suppress(AttributeError):
                subscriber.batch_timeout_ms = pace.batch_timeout_ms

"""Quiet when idle (issue 17): a subscriber with nothing to read asks the broker less often.

A busy subscriber keeps its fetch wait short: the embedded Tansu holds a waiting fetch for a good part of
the wait even when a record arrives meanwhile, so every hop would otherwise wait that long. But a short
wait makes an idle subscriber ask 50 times a second, and FastStream's batch loop wakes as often again
(each empty poll waits the batch timeout): with a dozen consumer groups, an idle platform kept the broker
at a third of a core. ``FetchPace`` gives a subscriber that has read nothing for ``idle_after_s`` the long
waits and gives it the short ones back at its next record.

What changes is only how long the broker may hold an empty fetch and how long an empty poll of the batch
loop waits, never what is read or committed; the price is that the first record after a quiet spell waits
up to ``idle_fetch_max_wait_ms`` more at each hop (a poll hands a record on the moment it is fetched:
``lapor_shared.batch_poll``).

Not every subscription is a hop that a complaint waits at: commands people send (an officer's click, an
admin's decision) and read models only people look at can wait longer, busy (``people_busy_*``: a fetch
held up to 400 ms instead of 20, so that on Tansu each of their transactions carries a few records rather
than one) and idle. Each subscription has a
``Tempo``; ``PEOPLE``'s idle waits are the longer ``people_idle_*`` settings (issue 17, lever 4). A hop of
the pipeline quiet for ``quiet_after_s`` (nobody filing for half a minute) takes the ``quiet_*`` waits,
between the two; a subscription of ``PEOPLE`` quiet as long (no officer, admin or reporter anywhere sent a
command for half a minute, at night) takes the ``people_quiet_*`` waits, the longest. On the embedded Tansu a
fetch costs the broker CPU for every partition it names, whatever it finds, and three of these
subscriptions name 37 topics each (the agencies'): halving their fetches was 1.6 points of a core of the
idle platform's 10.5 (issue 17).

It sets two attributes neither library exposes as settable (aiokafka's ``Fetcher._fetch_max_wait_ms``,
read for each fetch request, and FastStream's ``BatchSubscriber.batch_timeout_ms``, read for each poll);
a subscriber without them is left as it is, so a library upgrade that renames them costs only the saving.
"""

from __future__ import annotations

import contextlib
import enum
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lapor_shared.background import BackgroundLoop
from lapor_shared.logging import get_logger

if TYPE_CHECKING:
    from lapor_shared.settings import DeliverySettings, KafkaSettings

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
    kept for a later command): the first record after a quiet spell may wait about a second, two after
    half a minute of quiet."""


class FetchPace:
    def __init__(self, *, busy: Pace, idle: Pace, idle_after_s: float, people: Pace | None = None,
                 quiet: Pace | None = None, quiet_after_s: float = math.inf,
                 people_quiet: Pace | None = None, people_busy: Pace | None = None) -> None:
        """``busy`` is the pace a subscriber is created with and a busy ``Tempo.PIPELINE`` one keeps;
        ``idle`` the pace of one quiet for ``idle_after_s``, ``quiet`` its pace once quiet for
        ``quiet_after_s`` (a platform with nobody filing, at night). ``people_busy`` is a busy
        ``Tempo.PEOPLE`` subscriber's pace, ``people`` its pace from ``idle_after_s`` on, ``people_quiet``
        from ``quiet_after_s`` on. None of them is ever shorter than ``busy``, nor an idle pace than the busy
        one of its tempo, nor a quiet pace than the idle one."""
        self.busy = busy
        self.idle = self._no_shorter(idle, busy)
        self.quiet = self._no_shorter(quiet or idle, self.idle)
        self.people_busy = self._no_shorter(people_busy or busy, busy)
        self.people = self._no_shorter(people or idle, self.people_busy)
        self.people_quiet = self._no_shorter(people_quiet or self.people, self.people)
        self.idle_after_s = idle_after_s
        self.quiet_after_s = quiet_after_s
        self._last_read: dict[int, float] = {}
        self._given: dict[int, Pace] = {}
        """The pace each subscriber was last given, when not the ``busy`` one it was created with."""
        self._subscribers: dict[int, tuple[Any, Tempo]] = {}
        self._loop = BackgroundLoop("fetch-pace", self._round, idle_s=max(idle_after_s / 2, 0.5),
                                    failure_event="fetch_pace_failed", log=log)

    @classmethod
    def from_settings(cls, kafka: KafkaSettings, delivery: DeliverySettings) -> FetchPace:
        """The paces a service's settings give (``LAPOR_KAFKA_FETCH_MAX_WAIT_MS``, ``LAPOR_DELIVERY__…``)."""
        return cls(
            busy=Pace(kafka.fetch_max_wait_ms, delivery.batch_timeout_ms),
            idle=Pace(delivery.idle_fetch_max_wait_ms, delivery.idle_batch_timeout_ms),
            idle_after_s=delivery.idle_after_s,
            people_busy=Pace(delivery.people_busy_fetch_max_wait_ms, delivery.people_busy_batch_timeout_ms),
            people=Pace(delivery.people_idle_fetch_max_wait_ms, delivery.people_idle_batch_timeout_ms),
            quiet=Pace(delivery.quiet_fetch_max_wait_ms, delivery.quiet_batch_timeout_ms),
            quiet_after_s=delivery.quiet_after_s,
            people_quiet=Pace(delivery.people_quiet_fetch_max_wait_ms, delivery.people_quiet_batch_timeout_ms),
        )

    @staticmethod
    def _no_shorter(pace: Pace, than: Pace) -> Pace:
        return Pace(max(pace.fetch_max_wait_ms, than.fetch_max_wait_ms),
                    max(pace.batch_timeout_ms, than.batch_timeout_ms))

    def pace_after(self, tempo: Tempo, quiet_for_s: float) -> Pace:
        """The pace of a subscriber of ``tempo`` that has read nothing for ``quiet_for_s``."""
        if quiet_for_s < self.idle_after_s:
            return self.busy_pace(tempo)
        quiet = quiet_for_s >= self.quiet_after_s
        if tempo is Tempo.PEOPLE:
            return self.people_quiet if quiet else self.people
        return self.quiet if quiet else self.idle

    def busy_pace(self, tempo: Tempo) -> Pace:
        """The pace of a subscriber of ``tempo`` that has just read something."""
        return self.people_busy if tempo is Tempo.PEOPLE else self.busy

    def idle_pace(self, tempo: Tempo) -> Pace:
        return self.pace_after(tempo, self.idle_after_s)

    def track(self, subscriber: Any, tempo: Tempo = Tempo.PIPELINE) -> None:
        """Pace ``subscriber`` (what ``broker.subscriber(…)`` returned) from the start."""
        self._subscribers[id(subscriber)] = (subscriber, tempo)
        self._last_read[id(subscriber)] = time.monotonic()

    def read(self, subscriber: Any) -> None:
        """``subscriber`` has just been handed records: busy again, at once."""
        key = id(subscriber)
        self._last_read[key] = time.monotonic()
        if key in self._given:
            self._give(subscriber, self.busy_pace(self._subscribers[key][1]))

    def start(self) -> None:
        """Pace every tracked subscriber from now on (the busy pace of its tempo at once), if any tempo has a
        pace other than ``busy``."""
        if any(pace != self.busy for _, tempo in self._subscribers.values()
               for pace in (self.busy_pace(tempo), self.pace_after(tempo, math.inf))):
            for subscriber, tempo in self._subscribers.values():
                self._give(subscriber, self.busy_pace(tempo))
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop(grace_s=1)

    async def _round(self) -> bool:
        now = time.monotonic()
        for subscriber, tempo in self._subscribers.values():
            self._give(subscriber, self.pace_after(tempo, now - self._last_read.get(id(subscriber), 0.0)))
        return False

    def _give(self, subscriber: Any, pace: Pace) -> None:
        key = id(subscriber)
        if pace == self._given.get(key, self.busy):
            return
        if pace == self.busy:
            self._given.pop(key, None)
        else:
            self._given[key] = pace
        self._set(subscriber, pace)

    @staticmethod
    def _set(subscriber: Any, pace: Pace) -> None:
        fetcher = getattr(getattr(subscriber, "consumer", None), "_fetcher", None)
        if fetcher is not None and hasattr(fetcher, "_fetch_max_wait_ms"):
            fetcher._fetch_max_wait_ms = pace.fetch_max_wait_ms
        if hasattr(subscriber, "batch_timeout_ms"):
            with contextlib.suppress(AttributeError):
                subscriber.batch_timeout_ms = pace.batch_timeout_ms

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

A hop of the pipeline handed many records a second gets the ``loaded`` pace: a longer fetch wait and a
minimum fetch size, so that the broker gathers several records for each fetch and each of the hop's
transactions carries them together. It takes it when it was handed at least ``loaded_records_per_s`` in a
window of ``loaded_window_s`` and gives it back after a window with less than three quarters of that. On the
embedded Tansu a fetch's answer is otherwise one or two records at a moderate load, and every one of them costs
a fetch, a transaction, a relay round and a produce (issue 17, fifteenth steps). A light load stays far below.
A subscription of ``Tempo.PEOPLE`` handed as many gets ``people_loaded``: its own busy wait, and a larger minimum
(a read model of ``lapor.complaints`` under load; sixteenth steps).

It sets three attributes neither library exposes as settable (aiokafka's ``Fetcher._fetch_max_wait_ms`` and
``_fetch_min_bytes``, read for each fetch request, and FastStream's ``BatchSubscriber.batch_timeout_ms``,
read for each poll); a subscriber without them is left as it is, so a library upgrade that renames them costs
only the saving.
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
    fetch_min_bytes: int = 1
    """How much the broker gathers before it answers a fetch within its wait (1: the first record)."""


@dataclass
class _Load:
    """How many records one subscriber was handed since ``since``, and whether it counts as loaded."""

    since: float
    records: int = 0
    loaded: bool = False


class Tempo(enum.Enum):
    """How long a subscription may keep a record waiting after a quiet spell."""

    PIPELINE = "pipeline"
    """A hop of a complaint's way through the platform (submission, lifecycle, contacts, a channel's
    answer): the next hop waits for this one, so an idle subscriber keeps the short idle waits."""
    PEOPLE = "people"
    """Commands people send and records nothing downstream waits for (read models people look at, notes
    kept for a later command): the first record after a quiet spell may wait about a second, two after
    half a minute of quiet."""


def records_in(raw_message: Any) -> int:
    """How many records a subscriber was handed: a batch subscriber's raw message is their tuple (a list in
    FastStream's test broker), any other subscriber's one record."""
    return len(raw_message) if isinstance(raw_message, tuple | list) else 1


class FetchPace:
    def __init__(self, *, busy: Pace, idle: Pace, idle_after_s: float, people: Pace | None = None,
                 quiet: Pace | None = None, quiet_after_s: float = math.inf,
                 people_quiet: Pace | None = None, people_busy: Pace | None = None,
                 loaded: Pace | None = None, loaded_records_per_s: float = math.inf,
                 loaded_window_s: float = 0.5, people_loaded: Pace | None = None) -> None:
        """``busy`` is the pace a subscriber is created with and a busy ``Tempo.PIPELINE`` one keeps;
        ``idle`` the pace of one quiet for ``idle_after_s``, ``quiet`` its pace once quiet for
        ``quiet_after_s`` (a platform with nobody filing, at night). ``people_busy`` is a busy
        ``Tempo.PEOPLE`` subscriber's pace, ``people`` its pace from ``idle_after_s`` on, ``people_quiet``
        from ``quiet_after_s`` on. ``loaded`` is the pace of a ``Tempo.PIPELINE`` subscriber handed at least
        ``loaded_records_per_s`` over a ``loaded_window_s``, until a window with less than 3/4 of that, and
        ``people_loaded`` the pace of a ``Tempo.PEOPLE`` one handed as many (its busy wait, not shorter). None
        of the others is ever shorter than ``busy``, nor an idle pace than the busy one of its tempo, nor a quiet
        pace than the idle one."""
        self.busy = busy
        self.idle = self._no_shorter(idle, busy)
        self.quiet = self._no_shorter(quiet or idle, self.idle)
        self.people_busy = self._no_shorter(people_busy or busy, busy)
        self.people = self._no_shorter(people or idle, self.people_busy)
        self.people_quiet = self._no_shorter(people_quiet or self.people, self.people)
        self.loaded = loaded or busy
        """As given, even with a wait shorter than ``busy``'s: with a minimum fetch size its wait bounds how long the
        broker holds a record (on Apache Kafka, whose busy wait of 500 ms holds none, too)."""
        self.people_loaded = self._no_shorter(people_loaded, self.people_busy) if people_loaded else self.people_busy
        self.loaded_records_per_s = loaded_records_per_s
        self.loaded_window_s = loaded_window_s
        self._load: dict[int, _Load] = {}
        """Per subscriber whose tempo has a loaded pace: the records it was handed, window by window."""
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
            loaded=Pace(delivery.loaded_fetch_max_wait_ms, delivery.batch_timeout_ms, delivery.loaded_fetch_min_bytes),
            loaded_records_per_s=delivery.loaded_records_per_s,
            people_loaded=Pace(delivery.people_busy_fetch_max_wait_ms, delivery.people_busy_batch_timeout_ms,
                               delivery.people_loaded_fetch_min_bytes),
        )

    @staticmethod
    def _no_shorter(pace: Pace, than: Pace) -> Pace:
        return Pace(max(pace.fetch_max_wait_ms, than.fetch_max_wait_ms),
                    max(pace.batch_timeout_ms, than.batch_timeout_ms), pace.fetch_min_bytes)

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

    def loaded_pace(self, tempo: Tempo) -> Pace:
        """The pace of a subscriber of ``tempo`` handed many records a second."""
        return self.people_loaded if tempo is Tempo.PEOPLE else self.loaded

    def idle_pace(self, tempo: Tempo) -> Pace:
        return self.pace_after(tempo, self.idle_after_s)

    def track(self, subscriber: Any, tempo: Tempo = Tempo.PIPELINE) -> None:
        """Pace ``subscriber`` (what ``broker.subscriber(…)`` returned) from the start."""
        self._subscribers[id(subscriber)] = (subscriber, tempo)
        self._last_read[id(subscriber)] = time.monotonic()

    def read(self, subscriber: Any, records: int = 1) -> None:
        """``subscriber`` has just been handed ``records``: busy again at once, and loaded or not by the records
        it was handed over the last window."""
        key = id(subscriber)
        now = time.monotonic()
        self._last_read[key] = now
        if self._count(key, now, records) or key in self._given:
            self._give(subscriber, self._busy_pace_of(key))

    def _count(self, key: int, now: float, records: int) -> bool:
        """Count ``records`` for a subscriber whose tempo has a loaded pace; whether a window closed and changed
        its load."""
        known = self._subscribers.get(key)
        if known is None or self.loaded_pace(known[1]) == self.busy_pace(known[1]):
            return False
        load = self._load.get(key)
        if load is None:
            self._load[key] = _Load(since=now, records=records)
            return False
        load.records += records
        span = now - load.since
        if span < self.loaded_window_s:
            return False
        rate, was = load.records / span, load.loaded
        load.since, load.records = now, 0
        load.loaded = rate >= (self.loaded_records_per_s * 3 / 4 if was else self.loaded_records_per_s)
        if load.loaded != was:
            log.debug("fetch_pace_loaded" if load.loaded else "fetch_pace_unloaded", records_per_s=round(rate))
        return load.loaded != was

    def _busy_pace_of(self, key: int) -> Pace:
        load, tempo = self._load.get(key), self._subscribers[key][1]
        return self.loaded_pace(tempo) if load is not None and load.loaded else self.busy_pace(tempo)

    def start(self) -> None:
        """Pace every tracked subscriber from now on (the busy pace of its tempo at once), if any tempo has a
        pace other than ``busy``."""
        if any(pace != self.busy for _, tempo in self._subscribers.values()
               for pace in (self.busy_pace(tempo), self.pace_after(tempo, math.inf), self.loaded_pace(tempo))):
            for subscriber, tempo in self._subscribers.values():
                self._give(subscriber, self.busy_pace(tempo))
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop(grace_s=1)

    async def _round(self) -> bool:
        now = time.monotonic()
        for key, (subscriber, tempo) in self._subscribers.items():
            quiet_for_s = now - self._last_read.get(key, 0.0)
            if quiet_for_s < self.idle_after_s:
                self._give(subscriber, self._busy_pace_of(key))
            else:
                self._load.pop(key, None)  # a hop back from a quiet spell starts unloaded
                self._give(subscriber, self.pace_after(tempo, quiet_for_s))
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
        if fetcher is not None and hasattr(fetcher, "_fetch_min_bytes"):
            fetcher._fetch_min_bytes = pace.fetch_min_bytes
        if hasattr(subscriber, "batch_timeout_ms"):
            with contextlib.suppress(AttributeError):
                subscriber.batch_timeout_ms = pace.batch_timeout_ms

"""A service's background observer: outbox backlog and consumer lag, refreshed into its metrics."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from lapor_shared.background import BackgroundLoop
from lapor_shared.logging import get_logger
from lapor_shared.metrics import Metrics

log = get_logger(component="observe")

Gauges = Callable[[asyncpg.Pool, Metrics], Awaitable[None]]
"""A service's own figures, read from its store and set into its metrics on every observation."""


class LagProbe:
    """Measures consumer lag with two long-lived clients instead of a new consumer per look.

    A plain consumer (no group) keeps the cluster's metadata, refreshed at aiokafka's metadata age, and
    asks for the end offsets; an admin client fetches a group's committed offsets for all its partitions
    in one request. Before issue 17 every look (every 10 s, per consumer group) started a consumer of the
    group, loaded the metadata of every topic (hundreds of jurisdiction topics) and fetched the committed
    offset one partition at a time: a steady cost even on an idle platform."""

    def __init__(self, bootstrap: str, client_options: Mapping[str, Any] | None = None,
                 client_id: str | None = None) -> None:
        """``client_id``: how the broker's logs and ``make bench-idle --requests`` name this probe."""
        options = dict(client_options or {})
        if client_id is not None:
            options.setdefault("client_id", client_id)
        self._offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                         request_timeout_ms=5000, **options)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, **options)
        self._started = False

    async def start(self) -> None:
        await self._offsets.start()
        try:
            await self._admin.start()
        except BaseException:
            await self._offsets.stop()
            raise
        self._started = True

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self._admin.close()
            await self._offsets.stop()

    async def lag(self, group: str, topics: Sequence[str]) -> dict[str, int]:
        """Messages of ``topics`` that ``group`` has not committed yet, per topic."""
        return await self.lag_behind(group, topics, await self.ends(topics))

    async def ends(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """The end offset of every partition of ``topics``, in one request per broker."""
        partitions = self._partitions(topics)
        if any(self._offsets.partitions_for_topic(t) is None for t in topics):
            await self._offsets._client.force_metadata_update()  # a topic created since the last refresh
            partitions = self._partitions(topics)
        return dict(await self._offsets.end_offsets(partitions)) if partitions else {}

    async def lag_behind(self, group: str, topics: Sequence[str], ends: Mapping[TopicPartition, int]) -> dict[str, int]:
        """Per topic of ``topics``, how far ``group``'s committed offsets are behind ``ends``."""
        lag: dict[str, int] = {t: 0 for t in topics}
        mine = [tp for tp in ends if tp.topic in lag]
        if not mine:
            return lag
        committed = await self._admin.list_consumer_group_offsets(group, partitions=mine)
        for tp in mine:
            done = committed.get(tp)
            lag[tp.topic] += max(ends[tp] - (done.offset if done is not None and done.offset >= 0 else 0), 0)
        return lag

    def _partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t in topics for p in (self._offsets.partitions_for_topic(t) or ())]


async def consumer_lag(
    bootstrap: str, group: str, topics: Sequence[str], client_options: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Messages of ``topics`` that ``group`` has not committed yet, per topic (one look, without joining
    the group)."""
    probe = LagProbe(bootstrap, client_options)
    await probe.start()
    try:
        return await probe.lag(group, topics)
    finally:
        await probe.stop()


class Observer:
    """Every ``interval_s``: the outbox backlog, the service's own gauges and each consumer group's lag.

    The end offsets of every topic read are asked for once per look; a group's committed offsets only
    when they may have moved: a group that had caught up (lag 0) on partitions whose end offsets have not
    moved since is still caught up, unless someone moved its offsets by hand, which the full look every
    ``full_look_every`` rounds sees. An idle service asks the broker one request per look instead of
    three per consumer group (issue 17)."""

    def __init__(self, metrics: Metrics, pool: asyncpg.Pool, bootstrap: str,
                 subscriptions: Sequence[tuple[str, tuple[str, ...]]], interval_s: float = 10.0,
                 gauges: Sequence[Gauges] = (), client_options: Mapping[str, Any] | None = None,
                 full_look_every: int = 6, client_id: str | None = None) -> None:
        self.metrics = metrics
        self.client_id = client_id
        self.client_options = dict(client_options or {})
        self.gauges = gauges
        self.pool = pool
        self.bootstrap = bootstrap
        self.subscriptions = subscriptions
        self.interval_s = interval_s
        self._probe: LagProbe | None = None
        self.full_look_every = full_look_every
        self._looks = 0
        self._caught_up: dict[str, dict[TopicPartition, int]] = {}
        """Group → the end offsets it had committed up to at its last look (only groups with lag 0)."""
        # metrics must never take the service down: a failed observation waits for the next one
        self._loop = BackgroundLoop("observer", self._round, idle_s=interval_s, failure_event="observe_failed",
                                    backoff_initial_s=interval_s, backoff_max_s=interval_s, log=log)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop(grace_s=0)  # an observation in progress is worth nothing now
        await self._drop_probe()

    async def observe_once(self) -> None:
        row = await self.pool.fetchrow(
            "SELECT count(*) FILTER (WHERE parked_at IS NULL) AS backlog,"
            " count(*) FILTER (WHERE parked_at IS NOT NULL AND discarded_at IS NULL) AS parked"
            " FROM outbox WHERE published_at IS NULL"
        )
        assert row is not None  # an aggregate answers one row
        self.metrics.outbox_backlog.set(row["backlog"])
        self.metrics.outbox_parked.set(row["parked"])
        for refresh in self.gauges:
            await refresh(self.pool, self.metrics)
        if not self.subscriptions:
            return
        if self._probe is None:
            probe = LagProbe(self.bootstrap, self.client_options, self.client_id)
            await probe.start()
            self._probe = probe
        full, self._looks = self._looks % self.full_look_every == 0, self._looks + 1
        try:
            ends = await self._probe.ends(list(dict.fromkeys(t for _, topics in self.subscriptions for t in topics)))
            for group, topics in self.subscriptions:
                mine = {tp: end for tp, end in ends.items() if tp.topic in topics}
                if not full and self._caught_up.get(group) == mine:
                    continue  # caught up, and nothing was published since
                lags = await self._probe.lag_behind(group, topics, mine)
                for topic, lag in lags.items():
                    self.metrics.consumer_lag.labels(self.metrics.service, group, topic).set(lag)
                if any(lags.values()):
                    self._caught_up.pop(group, None)
                else:
                    self._caught_up[group] = mine
        except Exception:
            self._caught_up.clear()
            await self._drop_probe()  # the next look starts afresh (the broker may have moved or restarted)
            raise

    async def _drop_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            with contextlib.suppress(Exception):
                await probe.stop()

    async def _round(self) -> bool:
        await self.observe_once()
        return False

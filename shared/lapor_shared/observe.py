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

    def __init__(self, bootstrap: str, client_options: Mapping[str, Any] | None = None) -> None:
        options = dict(client_options or {})
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
        partitions = self._partitions(topics)
        if any(self._offsets.partitions_for_topic(t) is None for t in topics):
            await self._offsets._client.force_metadata_update()  # a topic created since the last refresh
            partitions = self._partitions(topics)
        lag: dict[str, int] = {t: 0 for t in topics}
        if not partitions:
            return lag
        ends = await self._offsets.end_offsets(partitions)
        committed = await self._admin.list_consumer_group_offsets(group, partitions=partitions)
        for tp, end in ends.items():
            done = committed.get(tp)
            lag[tp.topic] += max(end - (done.offset if done is not None and done.offset >= 0 else 0), 0)
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
    def __init__(self, metrics: Metrics, pool: asyncpg.Pool, bootstrap: str,
                 subscriptions: Sequence[tuple[str, tuple[str, ...]]], interval_s: float = 10.0,
                 gauges: Sequence[Gauges] = (), client_options: Mapping[str, Any] | None = None) -> None:
        self.metrics = metrics
        self.client_options = dict(client_options or {})
        self.gauges = gauges
        self.pool = pool
        self.bootstrap = bootstrap
        self.subscriptions = subscriptions
        self.interval_s = interval_s
        self._probe: LagProbe | None = None
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
            probe = LagProbe(self.bootstrap, self.client_options)
            await probe.start()
            self._probe = probe
        try:
            for group, topics in self.subscriptions:
                for topic, lag in (await self._probe.lag(group, topics)).items():
                    self.metrics.consumer_lag.labels(self.metrics.service, group, topic).set(lag)
        except Exception:
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

"""A service's background observer: outbox backlog and consumer lag, refreshed into its metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from lapor_shared.background import BackgroundLoop
from lapor_shared.logging import get_logger
from lapor_shared.metrics import Metrics

log = get_logger(component="observe")

Gauges = Callable[[asyncpg.Pool, Metrics], Awaitable[None]]
"""A service's own figures, read from its store and set into its metrics on every observation."""


async def consumer_lag(
    bootstrap: str, group: str, topics: Sequence[str], client_options: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Messages of ``topics`` that ``group`` has not committed yet, per topic."""
    # a member-less consumer of the group: committed() and end_offsets() without joining it
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             request_timeout_ms=5000, **(client_options or {}))
    await probe.start()
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in (probe.partitions_for_topic(t) or ())]
        if not partitions:
            await probe._client.force_metadata_update()
            partitions = [TopicPartition(t, p) for t in topics for p in (probe.partitions_for_topic(t) or ())]
        ends = await probe.end_offsets(partitions) if partitions else {}
        lag: dict[str, int] = {t: 0 for t in topics}
        for tp, end in ends.items():
            done = await probe.committed(tp)
            lag[tp.topic] += max(end - (done or 0), 0)
        return lag
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
        # metrics must never take the service down: a failed observation waits for the next one
        self._loop = BackgroundLoop("observer", self._round, idle_s=interval_s, failure_event="observe_failed",
                                    backoff_initial_s=interval_s, backoff_max_s=interval_s, log=log)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop(grace_s=0)  # an observation in progress is worth nothing now

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
        for group, topics in self.subscriptions:
            for topic, lag in (await consumer_lag(self.bootstrap, group, topics, self.client_options)).items():
                self.metrics.consumer_lag.labels(self.metrics.service, group, topic).set(lag)

    async def _round(self) -> bool:
        await self.observe_once()
        return False

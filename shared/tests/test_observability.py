"""Traces follow a complaint through the outbox; metrics count what happens; lag and backlog are observed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lapor_shared.consumer import Consumer
from lapor_shared.db import create_pool
from lapor_shared.events import encode, headers_of
from lapor_shared.events.intake import ComplaintAccepted
from lapor_shared.events.lifecycle import DeadlineSet
from lapor_shared.metrics import Metrics
from lapor_shared.migrator import migrate
from lapor_shared.observe import Observer, consumer_lag
from lapor_shared.settings import DeliverySettings, PostgresSettings
from lapor_shared.testing.factories import accepted_envelope
from lapor_shared.testing.kafka_io import publish
from lapor_shared.topics import COMPLAINTS
from lapor_shared.tracing import setup_tracing

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@dataclass
class Record:
    value: bytes
    headers: tuple
    topic: str = "lapor.complaints"
    partition: int = 0
    offset: int = 0
    key: bytes | None = None


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        pytest.skip("another test installed a tracer provider first")  # pragma: no cover
    setup_tracing("test", exporter=exporter, immediate=True)
    return exporter


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(PostgresSettings(url=database_url), schema="observed")
    await migrate(pool, schema="observed", package="lapor_shared.testing")
    yield pool
    await pool.close()


def consumer(pool, metrics: Metrics) -> Consumer:
    async def emit_deadline(tx, envelope):
        await tx.emit(DeadlineSet(stage="follow_up", agency_id="umum.18.71", due_at=envelope.occurred_at,
                                  working_days=5, policy_version="test"))

    return Consumer("observed.test", lambda: pool, producer="test", handlers={ComplaintAccepted: emit_deadline},
                    settings=DeliverySettings(), metrics=metrics)


def record_with_trace(envelope) -> Record:
    headers = {**headers_of(envelope), "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
    return Record(encode(envelope), tuple((k, v.encode()) for k, v in headers.items()))


async def test_an_emitted_event_continues_the_trace_of_the_event_that_caused_it(pool, spans):
    metrics = Metrics("test")

    await consumer(pool, metrics).handle_batch([record_with_trace(accepted_envelope())])

    stored = await pool.fetchval("SELECT headers->>'traceparent' FROM outbox")
    assert stored.split("-")[1] == TRACE_ID
    processed = [s for s in spans.get_finished_spans() if s.name == "process complaint.accepted"]
    assert processed and format(processed[-1].context.trace_id, "032x") == TRACE_ID


async def test_metrics_count_emitted_events_and_processed_messages(pool, spans):
    metrics = Metrics("test")

    await consumer(pool, metrics).handle_batch([record_with_trace(accepted_envelope()) for _ in range(3)])

    registry = metrics.registry
    assert registry.get_sample_value(
        "lapor_events_emitted_total", {"service": "test", "event_type": "complaint.deadline_set"}) == 3
    assert registry.get_sample_value(
        "lapor_messages_processed_total", {"service": "test", "consumer": "observed.test"}) == 3


async def test_the_observer_reports_the_outbox_backlog_and_the_consumer_lag(pool, spans, kafka_bootstrap):
    metrics = Metrics("test")
    await consumer(pool, metrics).handle_batch([record_with_trace(accepted_envelope()) for _ in range(2)])
    await publish(kafka_bootstrap, COMPLAINTS.name, [accepted_envelope() for _ in range(4)])

    await Observer(metrics, pool, kafka_bootstrap, [("nobody-yet", (COMPLAINTS.name,))]).observe_once()

    unpublished = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    assert unpublished >= 2
    assert metrics.registry.get_sample_value("lapor_outbox_backlog", {"service": "test"}) == unpublished
    assert metrics.registry.get_sample_value(
        "lapor_consumer_lag", {"service": "test", "group": "nobody-yet", "topic": COMPLAINTS.name}) == 4
    assert (await consumer_lag(kafka_bootstrap, "nobody-yet", [COMPLAINTS.name]))[COMPLAINTS.name] == 4


async def test_the_observer_keeps_one_probe_and_sees_a_group_catch_up_between_two_looks(pool, kafka_bootstrap):
    metrics = Metrics("test")
    group, topic = f"catching-up-{uuid.uuid4().hex[:8]}", f"test.lag.{uuid.uuid4().hex[:8]}"
    await publish(kafka_bootstrap, topic, [accepted_envelope() for _ in range(3)])
    observer = Observer(metrics, pool, kafka_bootstrap, [(group, (topic,))])
    try:
        await observer.observe_once()
        before = metrics.registry.get_sample_value(
            "lapor_consumer_lag", {"service": "test", "group": group, "topic": topic})
        reader = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=group,
                                  auto_offset_reset="earliest", enable_auto_commit=False)
        await reader.start()
        try:
            read = 0
            while read < 3:
                read += sum(len(r) for r in (await reader.getmany(timeout_ms=1000)).values())
            await reader.commit()
        finally:
            await reader.stop()
        await observer.observe_once()
        after = metrics.registry.get_sample_value(
            "lapor_consumer_lag", {"service": "test", "group": group, "topic": topic})
    finally:
        await observer.stop()

    assert (before, after) == (3, 0)


async def test_the_observers_probe_names_itself_to_the_broker_as_the_service_asks(pool, kafka_bootstrap):
    observer = Observer(Metrics("test"), pool, kafka_bootstrap, [(f"named-{uuid.uuid4().hex[:8]}", (COMPLAINTS.name,))],
                        client_id="lapor-test-lag")
    try:
        await observer.observe_once()
        assert observer._probe is not None
        names = {observer._probe._offsets._client._client_id, observer._probe._admin._client._client_id}
    finally:
        await observer.stop()

    assert names == {"lapor-test-lag"}


async def test_a_caught_up_group_is_asked_for_its_offsets_again_only_when_its_topic_moves_or_at_the_full_look(
    pool, kafka_bootstrap,
):
    metrics = Metrics("test")
    group, topic = f"caught-up-{uuid.uuid4().hex[:8]}", f"test.lag.{uuid.uuid4().hex[:8]}"
    await publish(kafka_bootstrap, topic, [accepted_envelope()])
    reader = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=group,
                              auto_offset_reset="earliest", enable_auto_commit=False)
    await reader.start()
    try:
        while not sum(len(r) for r in (await reader.getmany(timeout_ms=1000)).values()):
            pass
        await reader.commit()
    finally:
        await reader.stop()
    observer = Observer(metrics, pool, kafka_bootstrap, [(group, (topic,))], full_look_every=3)
    asked: list[str] = []
    try:
        await observer.observe_once()  # the first look is a full one: caught up
        assert observer._probe is not None
        lag_behind = observer._probe.lag_behind

        async def counted(group_asked, *args):
            asked.append(group_asked)
            return await lag_behind(group_asked, *args)

        observer._probe.lag_behind = counted  # type: ignore[method-assign]
        await observer.observe_once()
        await observer.observe_once()
        unmoved = list(asked)  # nothing moved: not asked
        await observer.observe_once()  # the full look: asked
        await publish(kafka_bootstrap, topic, [accepted_envelope()])
        await observer.observe_once()  # the topic moved: asked, one behind
        behind = metrics.registry.get_sample_value(
            "lapor_consumer_lag", {"service": "test", "group": group, "topic": topic})
    finally:
        await observer.stop()

    assert (unmoved, asked, behind) == ([], [group, group], 1)

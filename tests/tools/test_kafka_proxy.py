"""The counting proxy in front of a real Tansu: clients reach the broker only through it, and it counts them."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from lapor_shared.infra import EmbeddedKafka
from lapor_shared.infra.embedded import free_port
from tools.kafka_requests import UNMATCHED, CountingProxy, ProxyThread

pytestmark = pytest.mark.integration


async def create_a_topic_and_produce_one_record(bootstrap_servers: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="proxy-test-admin")
    await admin.start()
    try:
        await admin.create_topics([NewTopic("counted", num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, client_id="proxy-test")
    await producer.start()
    try:
        await producer.client.fetch_all_metadata()
        await producer.send_and_wait("counted", b"one record")
    finally:
        await producer.stop()


def test_a_client_behind_the_proxy_is_answered_by_the_broker_and_counted_under_its_client_id():
    broker_port = free_port()
    proxy = ProxyThread(CountingProxy("127.0.0.1", broker_port)).start()
    kafka = EmbeddedKafka(port=broker_port, advertised_port=proxy.proxy.listen_port)
    try:
        kafka.start()  # its own check that the broker answers goes through the proxy already
        proxy.proxy.counter.reset()
        asyncio.run(create_a_topic_and_produce_one_record(kafka.bootstrap_servers))
        tally = proxy.proxy.counter.snapshot()
    finally:
        kafka.stop()
        proxy.stop()

    assert kafka.bootstrap_servers == f"127.0.0.1:{proxy.proxy.listen_port}"
    assert tally.by_client["proxy-test"]["Produce"] == 1
    assert tally.by_client["proxy-test"]["Metadata"] >= 2  # the producer's own at its start, then the one asked for
    assert tally.by_client["proxy-test-admin"]["CreateTopics"] == 1
    assert tally.response_bytes["Produce"] > 0 and tally.response_bytes["Metadata"] > 0
    assert UNMATCHED not in tally.response_bytes

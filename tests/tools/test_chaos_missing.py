"""A missing message explained from what the real database, broker and logs hold of its source event."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from lapor_shared.testing.schemas import migrated_pool
from lapor_shared.topics import COMPLAINTS
from tools import chaos_missing

pytestmark = pytest.mark.integration


async def produce_one(bootstrap: str) -> tuple[str, int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        sent = await producer.send_and_wait(COMPLAINTS.name, b"{}", key=b"k")
    finally:
        await producer.stop()
    return sent.topic, sent.partition, sent.offset


async def commit_as_notify(bootstrap: str, tp: TopicPartition, offset: int) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=chaos_missing.NOTIFY_GROUP,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: OffsetAndMetadata(offset, "")})
    finally:
        await consumer.stop()


async def test_a_missing_message_is_told_with_its_offset_notifys_commit_inbox_deliveries_and_log_lines(
    database_url, kafka_bootstrap, tmp_path
):
    recorded, unseen = str(uuid.uuid4()), str(uuid.uuid4())
    async with migrated_pool(database_url, "notify", "lapor_notify.migrations") as pool:
        await pool.execute("INSERT INTO inbox (consumer, message_id) VALUES ($1, $2)",
                           chaos_missing.NOTIFY_CONSUMER, recorded)
        await pool.execute(
            "INSERT INTO notifications (notification_id, source_event_id, recipient_kind, recipient_ref, channel,"
            " template, subject, body, status) VALUES ($1, $2, 'officer', 'agency:a', 'email',"
            " 'complaint_routed.officer', 'RAHASIA subject', 'RAHASIA body', 'waiting_contact')",
            uuid.uuid4(), uuid.UUID(recorded))
    where = await produce_one(kafka_bootstrap)
    tp = TopicPartition(where[0], where[1])
    await commit_as_notify(kafka_bootstrap, tp, where[2] + 1)
    (tmp_path / "notify.log").write_text(f'{{"event": "delivery_recorded", "event_id": "{recorded}"}}\n'
                                         '{"event": "something else"}\n')
    examples = [{"source_event_id": e, "recipient_ref": "agency:a", "channel": c, "kind": "k"}
                for e, c in ((recorded, "email"), (recorded, "sms"), (unseen, "email"))]

    told = await chaos_missing.explain(database_url, kafka_bootstrap, tmp_path,
                                       {recorded: where, unseen: where}, examples)

    first, second = told
    assert first["missing"] == ["agency:a/email", "agency:a/sms"]
    assert first["at"] == f"{where[0]}:{where[1]}@{where[2]}" and first["notify_committed"] == where[2] + 1
    assert first["notify_inbox_at"] is not None
    assert len(first["deliveries"]) == 1 and '"waiting_contact"' in first["deliveries"][0]
    assert "RAHASIA" not in first["deliveries"][0], "a delivery's text is never shown"
    assert first["log_lines"] == [f'notify: {{"event": "delivery_recorded", "event_id": "{recorded}"}}']
    assert second["source_event_id"] == unseen
    assert second["notify_inbox_at"] is None and second["deliveries"] == [] and second["log_lines"] == []

"""The consumer against a hostile world: whatever arrives, it is processed, skipped or dead-lettered once
with a reason; the infrastructure's hiccups are waited out; the logs stay short."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiokafka import TopicPartition

from lapor_shared.consumer import Consumer, Handler, Tx
from lapor_shared.db import Conn
from lapor_shared.deadletter import MAX_LETTER_BYTES
from lapor_shared.events import Envelope, Payload
from lapor_shared.events.lifecycle import ComplaintReopened
from lapor_shared.outbox import Outbox
from lapor_shared.settings import DeliverySettings
from lapor_shared.testing import factories as f
from lapor_shared.testing.records import batch, delivered, record
from lapor_shared.topics import COMPLAINTS, DEAD_LETTER

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30, func_only=True)]

CONSUMER = "svc.hostile"


class Effects:
    """A use case that records each event it handles, failing first with the errors it is given."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.handled: list[UUID] = []

    async def __call__(self, tx: Tx, envelope: Envelope[Any]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        await tx.conn.execute("INSERT INTO effects (event_id, note) VALUES ($1, 'handled')", envelope.event_id)
        self.handled.append(envelope.event_id)


def consumer_of(pool: asyncpg.Pool, settings: DeliverySettings, handlers: dict[type[Payload], Handler],
                **kwargs: Any) -> Consumer:
    return Consumer(CONSUMER, lambda: pool, producer="svc", handlers=handlers, settings=settings, **kwargs)


def reopened(**fields: Any) -> Envelope[ComplaintReopened]:
    fields.setdefault("complaint_id", f.accepted_envelope().complaint_id)
    return f.envelope(ComplaintReopened(by=fields.pop("by", "pelapor")), **fields)


async def effects(pool: asyncpg.Pool) -> set[UUID]:
    return {r["event_id"] for r in await pool.fetch("SELECT event_id FROM effects")}


async def letters(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM outbox WHERE topic = $1 ORDER BY id", DEAD_LETTER.name)


async def test_the_same_event_id_with_another_body_is_dead_lettered_as_a_conflict_once(pool, delivery):
    handler = Effects()
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    original = reopened(by="pelapor")
    impostor = original.evolve(payload=ComplaintReopened(by="seseorang lain"))

    await consumer.handle(delivered(original))
    await consumer.handle(delivered(impostor))
    await consumer.handle(delivered(impostor))  # the same conflict redelivered
    await consumer.handle(delivered(original))  # a true redelivery stays a duplicate

    assert handler.handled == [original.event_id]
    [letter] = await letters(pool)
    assert "already processed with a different body" in letter["headers"]["dlq_reason"]
    assert (consumer.processed, consumer.dead_lettered, consumer.duplicates) == (1, 1, 2)  # both resent ones


async def test_a_conflict_inside_a_batch_is_found_one_by_one(pool, delivery):
    handler = Effects()
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    original, other = reopened(), reopened()
    impostor = original.evolve(payload=ComplaintReopened(by="seseorang lain"))
    await consumer.handle(delivered(original))

    await consumer.handle(batch(record(other), record(impostor)))

    assert await effects(pool) == {original.event_id, other.event_id}
    assert len(await letters(pool)) == 1


@pytest.mark.parametrize(
    "hiccup", [TimeoutError(), ConnectionResetError("reset by peer"), OSError(113, "No route to host"),
               asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
               asyncpg.exceptions.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction")],
    ids=["timeout", "reset", "no-route", "statement-timeout", "failover"],
)
async def test_timeouts_resets_and_failovers_are_waited_out_not_blamed_on_the_message(pool, delivery, hiccup):
    handler = Effects(*[hiccup] * (delivery.handler_max_attempts + 3))
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler})
    incoming = reopened()

    await consumer.handle(delivered(incoming))

    assert handler.handled == [incoming.event_id]
    assert await letters(pool) == []


async def test_a_long_outage_writes_a_log_line_per_doubling_not_per_retry(pool, delivery, delivery_logs):
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Effects(*[TimeoutError()] * 40)})

    await consumer.handle(delivered(reopened()))

    waits = [e["attempt"] for e in delivery_logs if e["event"] == "transient_failure_waiting"]
    assert waits == [1, 2, 4, 8, 16, 32]


async def test_a_huge_value_is_dead_lettered_unread_and_the_letter_is_cut_to_size(pool, delivery):
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Effects()})
    huge = b'{"event_type": "complaint.reopened", "blob": "' + b"x" * (5 * 1024 * 1024) + b'"}'

    await consumer.handle(delivered(huge, partition=0, offset=9))

    [letter] = await letters(pool)
    assert "exceeds the limit" in letter["headers"]["dlq_reason"]
    assert len(bytes(letter["payload"])) <= MAX_LETTER_BYTES
    assert letter["headers"]["dlq_truncated"] == "true"
    assert letter["headers"]["dlq_original_bytes"] == str(len(huge))
    kept = await pool.fetchrow("SELECT value, value_size FROM dead_letters")
    assert kept["value"] is None and kept["value_size"] == len(huge)  # too large to keep for a replay


async def test_headers_full_of_control_characters_cannot_stop_the_dead_letter(pool, delivery):
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Effects()})
    nasty = [("x-\x00\x1b[31m", b"\x00\xff\xfe NUL"), ("event_type", b"complaint.teleported\x00")]

    await consumer.handle(delivered(b"\x00\x01 not json", headers=nasty))

    [letter] = await letters(pool)
    assert all("\x00" not in k and "\x00" not in v for k, v in letter["headers"].items())
    kept = await pool.fetchrow("SELECT value, headers FROM dead_letters")
    assert bytes(kept["value"]) == b"\x00\x01 not json"  # the original, byte for byte, for the replay
    assert len(kept["headers"]) == 2


async def test_a_dead_letter_masks_names_nik_and_addresses_anywhere_but_keeps_agency_names(pool, delivery):
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Effects()})
    body = {"event_type": "complaint.teleported", "schema_version": 1, "payload": {
        "nama": "Budi Santoso", "nik": "3171012345678901", "alamat": "Jl. Melati 5, Bandar Lampung",
        "note": "NIK saya 3171 0123 4567 8901, telp 0812-1111-2222",
        "agency": {"agency_id": "umum.18.71", "name": "Unit Pengaduan Kota Bandar Lampung"},
    }}

    await consumer.handle(delivered(json.dumps(body).encode()))

    [letter] = await letters(pool)
    text = bytes(letter["payload"]).decode()
    for secret in ("Budi Santoso", "3171012345678901", "Jl. Melati", "3171 0123 4567 8901", "0812-1111-2222"):
        assert secret not in text
    assert "Unit Pengaduan Kota Bandar Lampung" in text


async def test_a_poison_message_writes_a_handful_of_log_lines(pool, delivery, delivery_logs):
    consumer = consumer_of(pool, delivery, {ComplaintReopened: Effects(*[ValueError("rusak")] * 10)})

    await consumer.handle(delivered(reopened()))

    assert len([e for e in delivery_logs if e["log_level"] in ("warning", "error")]) <= 3


class RefusingOutbox(Outbox):
    """An outbox whose dead letters cannot be written at all (a defect of ours, as it would be)."""

    async def add_raw(self, conn: Conn, **kwargs: Any) -> None:
        raise RuntimeError("cannot write dead letters")


async def test_a_defect_of_ours_rewinds_only_the_partitions_with_unfinished_records(pool, delivery, delivery_logs):
    handler = Effects()
    consumer = consumer_of(pool, delivery, {ComplaintReopened: handler}, outbox=RefusingOutbox())
    done_first, done_second = reopened(), reopened()
    message = batch(record(done_first, partition=0, offset=10), record(done_second, partition=0, offset=11),
                    record(b"poison", partition=1, offset=20), record(reopened(), partition=1, offset=21))

    finished = await consumer.handle(message)  # returns what may be committed

    assert await effects(pool) == {done_first.event_id, done_second.event_id}
    assert message.consumer.done == [(COMPLAINTS.name, 1, 20)]  # partition 0 is not read again
    assert finished == {TopicPartition(COMPLAINTS.name, 0): 12, TopicPartition(COMPLAINTS.name, 1): 20}
    assert [e["event"] for e in delivery_logs if e["log_level"] == "error"][-1] == "consumer_defect_rewinding"


async def test_an_undecodable_message_can_be_answered_instead_of_dead_lettered(pool, delivery):
    answered: list[bytes] = []

    async def answer(tx: Tx, rec: Any) -> bool:
        answered.append(rec.value)
        return rec.value.startswith(b"answerable")

    consumer = consumer_of(pool, delivery, {ComplaintReopened: Effects()}, answer_undecodable=answer)

    await consumer.handle(batch(record(b"answerable garbage"), record(b"plain garbage")))
    await consumer.handle(delivered(b"answerable too"))

    assert answered == [b"answerable garbage", b"plain garbage", b"answerable too"]
    assert len(await letters(pool)) == 1
    assert (consumer.processed, consumer.dead_lettered) == (2, 1)

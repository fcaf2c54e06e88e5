"""An operator replays dead letters after a fix, and sees and resolves parked outbox rows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from lapor_shared.consumer import Consumer, Tx
from lapor_shared.events import Envelope
from lapor_shared.events.lifecycle import ComplaintReopened
from lapor_shared.operator import Selection, dead_letters, main, replay
from lapor_shared.testing import factories as f
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.kafka_io import consume
from lapor_shared.testing.records import delivered
from lapor_shared.topics import COMPLAINTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60, func_only=True)]


@pytest.fixture(scope="module")
def kafka(infra: Infrastructure, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bootstrap, broker = infra.new_kafka(tmp_path_factory.mktemp("kafka"))
    try:
        yield bootstrap
    finally:
        if broker is not None:
            broker.stop()


async def run(database_url: str, *argv: str) -> int:
    """The command line, as an operator types it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(main, ["--database-url", database_url, *argv])


class Flaky:
    """A use case with a bug (it refuses everything) until ``fixed``."""

    def __init__(self) -> None:
        self.fixed = False

    async def __call__(self, tx: Tx, envelope: Envelope[Any]) -> None:
        if not self.fixed:
            raise KeyError("a bug in the handler")
        await tx.conn.execute("INSERT INTO effects (event_id, note) VALUES ($1, 'after the fix')", envelope.event_id)


async def test_a_dead_letter_replayed_after_the_fix_is_processed(pool, schema, delivery, kafka):
    use_case = Flaky()
    consumer = Consumer("svc.replayed", lambda: pool, producer="svc", handlers={ComplaintReopened: use_case},
                        settings=delivery)
    incoming = f.envelope(ComplaintReopened(by="pelapor"), complaint_id=f.accepted_envelope().complaint_id)
    await consumer.handle(delivered(incoming, partition=3, offset=77))
    async with pool.acquire() as conn:
        [letter] = await dead_letters(conn, schema, Selection(consumer="svc.replayed"))
    assert "KeyError" in letter["reason"]

    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        async with pool.acquire() as conn:
            report = await replay(conn, schema, [letter], producer)
    finally:
        await producer.stop()
    [again] = await consume(kafka, topics=[COMPLAINTS.name],
                            until=lambda rs: any(dict(r.headers).get("event_id") == str(incoming.event_id).encode()
                                                 for r in rs))
    use_case.fixed = True
    await consumer.handle(delivered(again.value, partition=again.partition, offset=again.offset, key=again.key,
                                    headers=list(again.headers)))

    assert report.replayed == [letter["id"]] and report.skipped == []
    assert again.key == letter["key"] and again.value == bytes(letter["value"])
    assert await pool.fetchval("SELECT note FROM effects WHERE event_id = $1", incoming.event_id) == "after the fix"
    async with pool.acquire() as conn:
        assert await dead_letters(conn, schema, Selection(consumer="svc.replayed")) == []  # replayed: not listed


async def test_the_command_line_lists_and_dry_runs_without_touching_anything(pool, schema, delivery,
                                                                            module_database_url, capsys,
                                                                            monkeypatch):
    consumer = Consumer("svc.cli", lambda: pool, producer="svc", handlers={}, settings=delivery)
    await consumer.handle(delivered(b"{ ini bukan json"))
    monkeypatch.setattr("lapor_shared.operator.SERVICES", (schema,))

    assert await run(module_database_url, "dead-letters", "list", "--service", schema) == 0
    assert await run(module_database_url, "dead-letters", "replay", "--service", schema, "--reason", "not JSON",
                     "--dry-run") == 0
    assert await run(module_database_url, "outbox", "parked", "--service", schema) == 0

    printed = capsys.readouterr().out
    assert "body is not JSON" in printed
    assert "1 akan diputar ulang / would be replayed" in printed
    assert "0 baris diparkir / parked row(s)" in printed
    assert await pool.fetchval("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL") == 1


async def test_replay_refuses_to_guess_which_dead_letters(module_database_url, schema, capsys, monkeypatch):
    monkeypatch.setattr("lapor_shared.operator.SERVICES", (schema,))

    with pytest.raises(SystemExit):
        await run(module_database_url, "dead-letters", "replay")
    assert await run(module_database_url, "dead-letters", "replay", "--service", schema) == 2


async def test_a_dead_letter_too_large_to_keep_is_skipped_with_the_reason(pool, schema, delivery):
    consumer = Consumer("svc.large", lambda: pool, producer="svc", handlers={}, settings=delivery)
    await consumer.handle(delivered(b"x" * (2 * 1024 * 1024)))
    async with pool.acquire() as conn:
        rows = await dead_letters(conn, schema, Selection())
        report = await replay(conn, schema, rows, producer=None)

    assert report.replayed == [] and "too large to keep" in report.skipped[0][1]


async def test_parked_rows_without_an_outbox_table_are_none(module_database_url, capsys, monkeypatch):
    monkeypatch.setattr("lapor_shared.operator.SERVICES", ("no_such_schema",))

    assert await run(module_database_url, "outbox", "parked") == 0
    assert "0 baris diparkir" in capsys.readouterr().out


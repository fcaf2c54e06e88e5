"""What an operator does about bad input: read dead letters and replay them, resolve parked outbox rows.

    python -m lapor_shared.operator dead-letters list   --service intake [--consumer C] [--reason TEXT]
    python -m lapor_shared.operator dead-letters replay --service intake (--id N … | --consumer C | --reason TEXT
                                                         | --since ISO) [--dry-run]
    python -m lapor_shared.operator outbox parked  [--service S …]
    python -m lapor_shared.operator outbox retry   --service S --id N … [--dry-run]
    python -m lapor_shared.operator outbox discard --service S --id N … [--dry-run]

The database comes from ``LAPOR_DATABASE_URL`` (or ``--database-url``), Kafka and its security settings
from the ``LAPOR_KAFKA_…`` variables the services use; on a cluster, run it as the operator's Kafka user
(it writes to the source topics of what it replays).

Replaying a dead letter, after the consumer was fixed: its inbox row is deleted (committed), the original
bytes, key and headers (kept in the service's own ``dead_letters`` table) are published to the topic
they came from, and the row is marked replayed. A crash in between leaves it unmarked: run it again.
Other consumers of that topic recognise the event by its id and skip it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from lapor_shared.db import Conn

SERVICES = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")


@dataclass(frozen=True)
class Selection:
    """Which dead letters: by id, consumer, a text in the reason, or a time; replayed ones only when asked."""

    ids: tuple[int, ...] = ()
    consumer: str | None = None
    reason: str | None = None
    since: datetime | None = None
    include_replayed: bool = False
    limit: int = 1000


async def dead_letters(conn: Conn, schema: str, chosen: Selection) -> list[asyncpg.Record]:
    return await conn.fetch(
        f'SELECT id, consumer, message_id, reason, source_topic, source_partition, source_offset, key, headers,'
        f' value, value_size, failed_at, replayed_at FROM "{schema}".dead_letters'
        " WHERE (cardinality($1::bigint[]) = 0 OR id = ANY($1::bigint[]))"
        " AND ($2::text IS NULL OR consumer = $2) AND ($3::text IS NULL OR strpos(reason, $3) > 0)"
        " AND ($4::timestamptz IS NULL OR failed_at >= $4) AND ($5 OR replayed_at IS NULL)"
        " ORDER BY id LIMIT $6",
        list(chosen.ids), chosen.consumer, chosen.reason, chosen.since, chosen.include_replayed, chosen.limit,
    )


@dataclass
class ReplayReport:
    replayed: list[int]
    skipped: list[tuple[int, str]]


async def replay(
    conn: Conn, schema: str, rows: Sequence[asyncpg.Record], producer: Any, *, dry_run: bool = False,
) -> ReplayReport:
    """Publish each row's original to its source topic again, after clearing its inbox row."""
    report = ReplayReport([], [])
    for row in rows:
        if row["value"] is None:
            report.skipped.append((row["id"], f"too large to keep ({row['value_size']} bytes): nothing to replay"))
            continue
        if dry_run:
            report.replayed.append(row["id"])
            continue
        await conn.execute(f'DELETE FROM "{schema}".inbox WHERE consumer = $1 AND message_id = $2',
                           row["consumer"], row["message_id"])
        headers = [(name, base64.b64decode(value)) for name, value in row["headers"]]
        await producer.send_and_wait(row["source_topic"], bytes(row["value"]),
                                     key=None if row["key"] is None else bytes(row["key"]), headers=headers)
        await conn.execute(f'UPDATE "{schema}".dead_letters SET replayed_at = clock_timestamp() WHERE id = $1',
                           row["id"])
        report.replayed.append(row["id"])
    return report


async def parked_rows(conn: Conn, schema: str) -> list[asyncpg.Record]:
    """Parked rows with the reason and how many rows of the same topic and key wait behind each."""
    return await conn.fetch(
        f'SELECT p.id, p.topic, p.key, p.event_id, p.park_reason, p.parked_at, p.attempts,'
        f' (SELECT count(*) FROM "{schema}".outbox o WHERE o.published_at IS NULL AND o.parked_at IS NULL'
        f'  AND o.topic = p.topic AND o.key = p.key AND o.id > p.id) AS held_behind'
        f' FROM "{schema}".outbox p WHERE p.parked_at IS NOT NULL AND p.published_at IS NULL'
        " AND p.discarded_at IS NULL ORDER BY p.id"
    )


async def retry_parked(conn: Conn, schema: str, ids: Sequence[int]) -> int:
    """Give parked rows back to the relay (after the cause was fixed: topic created, ACL granted …)."""
    done = await conn.execute(
        f'UPDATE "{schema}".outbox SET parked_at = NULL, park_reason = NULL, attempts = 0'
        " WHERE id = ANY($1::bigint[]) AND parked_at IS NOT NULL AND published_at IS NULL AND discarded_at IS NULL",
        list(ids),
    )
    await conn.execute(f"SELECT pg_notify('lapor_outbox_{schema}', '')")
    return int(done.split()[-1])


async def discard_parked(conn: Conn, schema: str, ids: Sequence[int]) -> int:
    """Give up on parked rows: the rows of the same key behind them flow again."""
    done = await conn.execute(
        f'UPDATE "{schema}".outbox SET discarded_at = clock_timestamp()'
        " WHERE id = ANY($1::bigint[]) AND parked_at IS NOT NULL AND published_at IS NULL AND discarded_at IS NULL",
        list(ids),
    )
    await conn.execute(f"SELECT pg_notify('lapor_outbox_{schema}', '')")
    return int(done.split()[-1])


# --- the command line -------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lapor_shared.operator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    database_url = os.environ.get("LAPOR_DATABASE_URL") or os.environ.get("DATABASE_URL")
    parser.add_argument("--database-url", default=database_url)
    area = parser.add_subparsers(dest="area", required=True)
    letters = area.add_parser("dead-letters", help="surat mati / dead letters").add_subparsers(dest="verb",
                                                                                              required=True)
    for verb in ("list", "replay"):
        sub = letters.add_parser(verb)
        sub.add_argument("--service", required=True, choices=SERVICES)
        sub.add_argument("--id", type=int, action="append", default=[], help="repeatable")
        sub.add_argument("--consumer")
        sub.add_argument("--reason", help="only dead letters whose reason contains this text")
        sub.add_argument("--since", type=datetime.fromisoformat, help="ISO time with zone")
        sub.add_argument("--include-replayed", action="store_true")
        sub.add_argument("--limit", type=int, default=1000)
        if verb == "replay":
            sub.add_argument("--dry-run", action="store_true", help="only list what would be replayed")
    outbox = area.add_parser("outbox", help="baris outbox yang diparkir / parked outbox rows")
    verbs = outbox.add_subparsers(dest="verb", required=True)
    verbs.add_parser("parked").add_argument("--service", action="append", choices=SERVICES)
    for verb in ("retry", "discard"):
        sub = verbs.add_parser(verb)
        sub.add_argument("--service", required=True, choices=SERVICES)
        sub.add_argument("--id", type=int, action="append", required=True, help="repeatable")
        sub.add_argument("--dry-run", action="store_true")
    return parser


def _print_letters(rows: Sequence[asyncpg.Record]) -> None:
    print(f"{'id':>6}  {'consumer':<28} {'source':<34} {'failed at':<20} reason")
    for r in rows:
        source = f"{r['source_topic']}:{r['source_partition']}:{r['source_offset']}"
        state = " (replayed)" if r["replayed_at"] else ""
        print(f"{r['id']:>6}  {r['consumer']:<28} {source:<34} {r['failed_at']:%Y-%m-%d %H:%M:%S}  "
              f"{r['reason'][:100]}{state}")


async def _dead_letters(args: argparse.Namespace, conn: Conn) -> int:
    chosen = Selection(tuple(args.id), args.consumer, args.reason, args.since, args.include_replayed, args.limit)
    if args.verb == "replay" and not (args.id or args.consumer or args.reason or args.since):
        print("pilih dengan --id, --consumer, --reason atau --since / choose with --id, --consumer, --reason or"
              " --since", file=sys.stderr)
        return 2
    rows = await dead_letters(conn, args.service, chosen)
    if args.verb == "list":
        _print_letters(rows)
        print(f"{len(rows)} surat mati / dead letter(s)")
        return 0
    producer = None
    if not args.dry_run:
        from aiokafka import AIOKafkaProducer

        from lapor_shared.settings import ServiceSettings

        kafka = ServiceSettings(service_name="operator").kafka
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, client_id="lapor-operator",
                                    acks="all", **kafka.client_options())
        await producer.start()
    try:
        report = await replay(conn, args.service, rows, producer, dry_run=args.dry_run)
    finally:
        if producer is not None:
            await producer.stop()
    verb = "akan diputar ulang / would be replayed" if args.dry_run else "diputar ulang / replayed"
    _print_letters([r for r in rows if r["id"] in set(report.replayed)])
    for row_id, why in report.skipped:
        print(f"{row_id:>6}  dilewati / skipped: {why}")
    print(f"{len(report.replayed)} {verb}, {len(report.skipped)} dilewati / skipped")
    return 0


async def _outbox(args: argparse.Namespace, conn: Conn) -> int:
    if args.verb == "parked":
        total = 0
        for schema in args.service or SERVICES:
            exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f'"{schema}".outbox')
            for r in await parked_rows(conn, schema) if exists else []:
                total += 1
                print(f"{schema:<10} {r['id']:>8}  {r['topic']:<36} held behind: {r['held_behind']:<5} "
                      f"{r['parked_at']:%Y-%m-%d %H:%M:%S}  {r['park_reason'][:120]}")
        print(f"{total} baris diparkir / parked row(s)")
        return 0
    if args.dry_run:
        rows = {r["id"] for r in await parked_rows(conn, args.service)}
        print(f"{len(rows & set(args.id))} baris akan di-{args.verb} / row(s) would be {args.verb}ed")
        return 0
    act = retry_parked if args.verb == "retry" else discard_parked
    print(f"{await act(conn, args.service, args.id)} baris / row(s) {args.verb}")
    return 0


async def _main(args: argparse.Namespace) -> int:
    conn = await asyncpg.connect(args.database_url)
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        return await (_dead_letters(args, conn) if args.area == "dead-letters" else _outbox(args, conn))
    finally:
        await conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set LAPOR_DATABASE_URL (or pass --database-url)")
    if getattr(args, "since", None) is not None and args.since.tzinfo is None:
        parser.error("--since needs a time zone, e.g. 2026-11-27T08:00:00+07:00")
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())

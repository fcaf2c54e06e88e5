"""``make bench-statements``: what one complaint costs the database and the broker, counted, not timed.

Throughput on a shared two-core machine moves by a third between runs; counts move far less (they
still depend on how records batch, which grows with the machine's load: compare runs at a steady low
rate, or run two checkouts side by side so that both share the same load). Every service
connects as a database role of its own here (``pg_stat_statements`` keeps its figures per role), the
platform carries N complaints at a steady rate, and the tool prints, per service and per complaint:
the statements sent (top level: each one a round trip, but for asyncpg's pool reset, which sends its
four in one), the statements PostgreSQL ran inside them (foreign-key checks, triggers), the time they
ran and, for the whole platform, the transactions committed and the Kafka records written per topic
family. Written to ``results/statements-<time>.json`` too, with the twenty commonest statements per
service. In the sandbox every round trip is a system call each way, and the profiles (``make profile``)
found socket writes to be the largest single cost: fewer statements per complaint is the lever.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.platform import SERVICES, Platform
from tools.bench import phase
from tools.bench_report import Collector
from tools.bench_workload import PIPELINE_ENV, Workload
from tools.platform_infra import measuring_infrastructure, say

_PER_ROLE = """
SELECT r.rolname AS service, s.toplevel, sum(s.calls) AS calls, sum(s.total_exec_time) AS ms
FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND r.rolname = ANY($1::text[])
GROUP BY 1, 2
"""
COSTLIEST = 12
_COMMITS = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
_COMMONEST = """
SELECT r.rolname AS service, s.calls, s.total_exec_time AS ms,
       left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160) AS query
FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.toplevel
  AND r.rolname = ANY($1::text[])
ORDER BY s.calls DESC
"""


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


async def prepare(infra: Infrastructure) -> str:
    """pg_stat_statements loaded (a restart), a fresh database, one role per service."""
    assert infra.postgres is not None, "bench-statements runs on the embedded PostgreSQL"
    conf = infra.postgres.data_dir / "postgresql.auto.conf"
    with conf.open("a") as f:
        f.write("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n")
    infra.postgres.restart()
    url = await infra.new_database()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        for name in SERVICES:
            await conn.execute(f'CREATE ROLE "{name}" LOGIN SUPERUSER')
    finally:
        await conn.close()
    return url


async def kafka_records(bootstrap: str) -> Counter[str]:
    """Records written so far per topic family (jurisdiction topics together)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = [t for t in await consumer.topics() if t.startswith("lapor.")]
        partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    counts: Counter[str] = Counter()
    for tp, end in ends.items():
        family = "lapor.jurisdiction.*" if tp.topic.startswith("lapor.jurisdiction.") else tp.topic
        family = "lapor.commands.*" if family.startswith("lapor.commands.") else family
        counts[family] += end
    return counts


async def measure(args: argparse.Namespace, infra: Infrastructure, work: Path) -> dict[str, Any]:
    url = await prepare(infra)
    roles = {name: {"LAPOR_DATABASE_URL": as_role(url, name)} for name in SERVICES}
    say("menyalakan semua layanan", "starting every service")
    platform = Platform(infra.bootstrap_servers, url, work / "logs", extra_env=PIPELINE_ENV,
                        service_env=roles).start()
    collector = Collector(infra.bootstrap_servers)
    await collector.start()
    db = await asyncpg.connect(url)
    try:
        await phase("pemanasan", infra.bootstrap_servers, collector, Workload(seed=9), 30, 10, args.timeout)
        await asyncio.sleep(5)  # the warm-up's deliveries, relays and projections settle
        await db.execute("SELECT pg_stat_statements_reset()")
        commits_before = await db.fetchval(_COMMITS)
        records_before = await kafka_records(infra.bootstrap_servers)
        counted = await phase("hitung", infra.bootstrap_servers, collector, Workload(seed=1), args.complaints,
                              args.rate, args.timeout)
        await asyncio.sleep(args.settle_seconds)  # what the last complaints set off (deliveries, projections)
        commits = await db.fetchval(_COMMITS)
        per_role = await db.fetch(_PER_ROLE, list(SERVICES))
        commonest = await db.fetch(_COMMONEST, list(SERVICES))
        records = await kafka_records(infra.bootstrap_servers)
    finally:
        await db.close()
        await collector.stop()
        platform.stop()
    n = counted["completed"]
    services: dict[str, dict[str, float]] = {name: {"statements": 0.0, "nested": 0.0, "ms": 0.0} for name in SERVICES}
    for row in per_role:
        figures = services[row["service"]]
        figures["statements" if row["toplevel"] else "nested"] += float(row["calls"]) / n
        figures["ms"] += float(row["ms"]) / n
    return {
        "when": datetime.now(UTC).isoformat(), "complaints": n, "rate": args.rate,
        "services": services,
        "commits_per_complaint": (commits - commits_before) / n,
        "kafka_records_per_complaint": {k: (records[k] - records_before.get(k, 0)) / n for k in sorted(records)
                                        if records[k] != records_before.get(k, 0)},
        "commonest": {name: [{"per_complaint": r["calls"] / n, "ms_per_complaint": r["ms"] / n, "query": r["query"]}
                             for r in commonest if r["service"] == name][:20] for name in SERVICES},
        "costliest": [{"service": r["service"], "per_complaint": r["calls"] / n, "ms_per_complaint": r["ms"] / n,
                       "query": r["query"]} for r in sorted(commonest, key=lambda r: -r["ms"])[:COSTLIEST]],
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"\n{result['complaints']} complaints at {result['rate']}/s, per complaint:")
    print(f"{'service':10} {'statements':>10} {'nested':>7} {'exec ms':>8}")
    total = Counter[str]()
    for name, figures in result["services"].items():
        print(f"{name:10} {figures['statements']:10.1f} {figures['nested']:7.1f} {figures['ms']:8.2f}")
        total.update({k: v for k, v in figures.items()})
    print(f"{'all':10} {total['statements']:10.1f} {total['nested']:7.1f} {total['ms']:8.2f}")
    print(f"transactions committed: {result['commits_per_complaint']:.1f}")
    print(f"the {COSTLIEST} statements that took the most time, per complaint (ms, calls):")
    for row in result["costliest"]:
        print(f"  {row['ms_per_complaint']:6.2f} {row['per_complaint']:5.2f}  {row['service']:9} {row['query'][:80]}")
    records = result["kafka_records_per_complaint"]
    print(f"Kafka records written: {sum(records.values()):.1f} ("
          + ", ".join(f"{k} {v:.1f}" for k, v in records.items()) + ")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=300)
    parser.add_argument("--rate", type=float, default=25.0, help="complaints per second (steady)")
    parser.add_argument("--settle-seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    infra, work = measuring_infrastructure("lapor-statements-")
    try:
        result = asyncio.run(measure(args, infra, work))
    finally:
        infra.close()
    print_table(result)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"statements-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(result, indent=2))
    say(f"hasil: {out}", f"results: {out}", mark="✓")


if __name__ == "__main__":
    main()

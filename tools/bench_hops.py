"""``python -m tools.bench_hops``: where the intake and notify hops' time goes, step by step.

``make bench`` reads each hop from the outside (Kafka record timestamps). This probe runs the same
platform at one paced rate, then lays the moments each step leaves behind side by side, per complaint:

- Kafka record timestamps (set when a producer takes the record: for an outbox row, when the relay sends it);
- the consumer's inbox row (``processed_at`` = ``now()``, the start of the consumer's transaction);
- notify's delivery row (``created_at`` = the handler's clock, ``sent_at`` = the start of the outcome's
  transaction) and, from notify's DEBUG log, when the worker claimed it (``deliveries_claimed``). An in-app
  message written at once (``LAPOR_SENDING__INBOX_AT_ONCE``, the default) has no claim: its ``sent_at`` is
  its ``created_at``, and the two steps around a claim are left out of the table;
- the outbox row (``created_at`` = ``clock_timestamp()`` at the insert, ``published_at`` after the ack).

Every clock is this machine's, so the differences are the steps' own. The table prints the p50 and p90
of each step, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime
from pathlib import Path

import asyncpg
import psutil

from lapor_shared import event_loop
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.platform import Platform
from tools.bench import publish
from tools.bench_fetch_cost import cpu_s
from tools.bench_idle import counted_infrastructure
from tools.bench_report import Collector
from tools.bench_workload import PIPELINE_ENV, Workload
from tools.kafka_requests import ProxyThread, rates
from tools.kafka_requests import table as requests_table
from tools.platform_infra import measuring_infrastructure, say

NOTIFY = """
SELECT n.notification_id::text AS id, n.source_event_id::text AS source, extract(epoch FROM i.processed_at) AS tx_start,
       extract(epoch FROM n.created_at) AS planned, extract(epoch FROM n.sent_at) AS outcome_tx,
       extract(epoch FROM o.created_at) AS outbox_insert, extract(epoch FROM o.published_at) AS acked
FROM notify.notifications n
JOIN notify.inbox i ON i.message_id = n.source_event_id::text
JOIN notify.outbox o ON o.headers ->> 'event_type' = 'notification.sent'
    AND convert_from(o.payload, 'UTF8')::jsonb #>> '{payload,notification_id}' = n.notification_id::text
WHERE n.source_event_id::text = ANY($1::text[]) AND n.status = 'sent'
"""

INTAKE = """
SELECT o.headers ->> 'correlation_id' AS corr, extract(epoch FROM min(o.created_at)) AS outbox_insert,
       extract(epoch FROM min(o.published_at)) AS acked
FROM intake.outbox o WHERE o.headers ->> 'event_type' = 'complaint.accepted' GROUP BY 1
"""


async def watch_broker(infra: Infrastructure, every_s: float = 60.0) -> None:
    """Each minute of a long paced phase: the embedded broker's CPU (% of a core) and memory."""
    if infra.kafka is None or infra.kafka.process is None:
        return
    broker = psutil.Process(infra.kafka.process.pid)
    last, minute = cpu_s(broker), 0
    while True:
        await asyncio.sleep(every_s)
        now, minute = cpu_s(broker), minute + 1
        share, mb = 100 * (now - last) / every_s, broker.memory_info().rss >> 20
        say(f"menit {minute}: Tansu {share:.0f} % inti, {mb} MB",
            f"minute {minute}: Tansu {share:.0f} % of a core, {mb} MB")
        last = now


def claims(log: Path) -> dict[str, float]:
    """Delivery id → when the worker claimed it (notify's DEBUG ``deliveries_claimed`` lines)."""
    claimed: dict[str, float] = {}
    for line in log.read_text().splitlines():
        if '"deliveries_claimed"' not in line:
            continue
        entry = json.loads(line)
        at = datetime.fromisoformat(entry["timestamp"]).timestamp()
        for delivery in entry["delivery_ids"]:
            claimed.setdefault(delivery, at)
    return claimed


def table(title: str, steps: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    for name, values in steps.items():
        ms = sorted(1000 * v for v in values)
        if ms:
            print(f"  {name:<46} p50 {statistics.median(ms):7.1f}  p90 {ms[int(0.9 * len(ms))]:7.1f}  (n={len(ms)})")


async def run(args: argparse.Namespace, infra: Infrastructure, work: Path, proxy: ProxyThread | None = None) -> None:
    try:
        url = await infra.new_database()
        env = {**PIPELINE_ENV, "LAPOR_LOG_LEVEL": "DEBUG"}
        platform = Platform(infra.bootstrap_servers, url, work / "logs", extra_env=env).start()
        collector = Collector(infra.bootstrap_servers)
        await collector.start()
        try:
            if args.before:  # the platform after a burst, as ``make bench``'s light phase finds it
                burst = Workload(seed=1)
                say(f"{args.before} laporan secepatnya dulu", f"first {args.before} complaints as fast as possible")
                await publish(infra.bootstrap_servers, burst, args.before, None)
                await collector.wait_for({str(e.correlation_id) for e in burst.sent}, timeout=300)
            workload = Workload(seed=4)
            say(f"{args.complaints} laporan pada {args.rate:.0f}/dtk",
                f"{args.complaints} complaints at {args.rate:.0f}/s")
            if proxy is not None:  # the requests of the paced phase only
                proxy.proxy.counter.reset()
                counting_since = time.monotonic()
            watch = asyncio.create_task(watch_broker(infra))
            try:
                await publish(infra.bootstrap_servers, workload, args.complaints, args.rate)
            finally:
                watch.cancel()
            done = await collector.wait_for({str(e.correlation_id) for e in workload.sent}, timeout=120)
            counted = rates(proxy.proxy.counter.snapshot(), time.monotonic() - counting_since) if proxy else None
            conn = await asyncpg.connect(url)
            try:
                traces = {i: collector.traces[i] for i in done}
                sources = [t.routed_event_id for t in traces.values()]
                notify_rows = await conn.fetch(NOTIFY, sources)
                intake_rows = {r["corr"]: r for r in await conn.fetch(INTAKE)}
                inbox = {r["message_id"]: float(r["at"]) for r in await conn.fetch(
                    "SELECT message_id, extract(epoch FROM processed_at) AS at FROM intake.inbox")}
                scans = await conn.fetchval(  # the claims' index: claims and housekeeping sweeps, as work
                    "SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = 'notify'"
                    " AND indexrelname = 'notifications_due'")
                deliveries = await conn.fetchval("SELECT count(*) FROM notify.notifications WHERE status = 'sent'")
            finally:
                await conn.close()
            notify = platform.services["notify"].process
            cpu = psutil.Process(notify.pid).cpu_times() if notify is not None else None
        finally:
            await collector.stop()
            platform.stop()
        report(traces, notify_rows, intake_rows, inbox, claims(work / "logs" / "notify.log"))
        print(f"\nnotify: {deliveries} deliveries sent, {scans} scans of notifications_due (claims and sweeps), "
              f"CPU {cpu.user + cpu.system if cpu else float('nan'):.1f} s since start")
        if counted is not None:
            per_api = counted["per_api"]
            assert isinstance(per_api, dict)
            print(f"\n{requests_table(counted)}")
            print(f"per complaint (requests/s ÷ {args.rate:.0f} complaints/s): " + ", ".join(
                f"{api} {row['per_second'] / args.rate:.1f}" for api, row in per_api.items()))
    finally:
        infra.close()


def report(traces, notify_rows, intake_rows, inbox, claimed) -> None:
    by_source = {t.routed_event_id: t for t in traces.values()}
    first: dict[str, asyncpg.Record] = {}
    for row in notify_rows:  # the delivery whose notification.sent the bench counts: the first one acked
        if row["source"] not in first or row["outbox_insert"] < first[row["source"]]["outbox_insert"]:
            first[row["source"]] = row
    steps: dict[str, list[float]] = {name: [] for name, _ in (*NOTIFY_STEPS[1:], NOTIFY_STEPS[0])}
    for source, row in first.items():
        for (name, _), value in zip(NOTIFY_STEPS, notify_steps(by_source[source], row, claimed.get(row["id"])),
                                    strict=True):
            if value is not None:
                steps[name].append(value)
    table("notify hop", steps)
    by_minute(first, by_source, claimed)
    intake: dict[str, list[float]] = {k: [] for k in (
        "submitted sent → intake consumer tx starts", "tx start → outbox insert (the effect)",
        "outbox insert → relay sends (commit, NOTIFY, relay)", "relay sends → acked and marked",
        "whole intake hop (submitted → accepted)")}
    for corr, t in traces.items():
        row = intake_rows.get(corr)
        start = inbox.get(t.submitted_event_id or "")
        if row is None or t.accepted is None or t.submitted is None:
            continue
        if start is not None:
            intake["submitted sent → intake consumer tx starts"].append(start - t.submitted)
            intake["tx start → outbox insert (the effect)"].append(float(row["outbox_insert"]) - start)
        intake["outbox insert → relay sends (commit, NOTIFY, relay)"].append(t.accepted - float(row["outbox_insert"]))
        intake["relay sends → acked and marked"].append(float(row["acked"]) - t.accepted)
        intake["whole intake hop (submitted → accepted)"].append(t.accepted - t.submitted)
    table("intake hop", intake)


def by_minute(first, by_source, claimed) -> None:
    """A long run's notify hop minute by minute (by when routing sent the event): which step grows."""
    starts = [by_source[source].routed for source in first]
    if not starts or max(starts) - min(starts) < 180:
        return
    origin = min(starts)
    minutes: dict[int, dict[str, list[float]]] = {}
    for source, row in first.items():
        t = by_source[source]
        steps = minutes.setdefault(int((t.routed - origin) // 60), {k: [] for k in MINUTE_STEPS})
        for name, value in zip(MINUTE_STEPS, notify_steps(t, row, claimed.get(row["id"], float(row["planned"]))),
                               strict=True):
            steps[name].append(1000 * (value or 0.0))
    print("\nnotify hop by minute, ms: whole p50 / p90 / p99, then each step's p50 / p90")
    print("  min      n   " + "  ".join(f"{name:>13}" for name in MINUTE_STEPS[1:]))
    for minute, steps in sorted(minutes.items()):
        whole = sorted(steps[MINUTE_STEPS[0]])
        p50, p90, p99 = statistics.median(whole), whole[int(0.9 * len(whole))], whole[int(0.99 * len(whole))]
        cells = []
        for name in MINUTE_STEPS[1:]:
            ms = sorted(steps[name])
            cells.append(f"{statistics.median(ms):6.0f}/{ms[int(0.9 * len(ms))]:6.0f}")
        print(f"  {minute:3d} {len(whole):6d}   {p50:6.0f} / {p90:6.0f} / {p99:6.0f}   " + "  ".join(cells))


NOTIFY_STEPS = (
    ("whole notify hop (routed → sent)", "whole"),
    ("routed sent → notify consumer tx starts", "to consumer"),
    ("consumer tx start → delivery planned", "to planned"),
    ("planned → claimed (commit, NOTIFY, wake, housekeeping, claim)", "to claimed"),
    ("claimed → outcome tx starts (send)", "send"),
    ("outcome tx start → outbox insert", "to outbox"),
    ("outbox insert → relay sends (commit, NOTIFY, relay)", "to relay"),
    ("relay sends → acked and marked", "to ack"),
)
"""The notify hop's steps, as the whole run's table and the minute table name them."""
MINUTE_STEPS = tuple(short for _, short in NOTIFY_STEPS)


def notify_steps(t, row, claim: float | None) -> list[float | None]:
    """Seconds each of ``NOTIFY_STEPS`` took for one delivery (``t`` its trace, ``row`` its moments); the two
    around the claim are None when its claim was not logged."""
    at = {k: float(row[k]) for k in ("tx_start", "planned", "outcome_tx", "outbox_insert", "acked")}
    return [t.notified - t.routed, at["tx_start"] - t.routed, at["planned"] - at["tx_start"],
            None if claim is None else claim - at["planned"], None if claim is None else at["outcome_tx"] - claim,
            at["outbox_insert"] - at["outcome_tx"], t.notified - at["outbox_insert"], at["acked"] - t.notified]


def main() -> None:
    parser = argparse.ArgumentParser(description="Where a hop's time goes")
    parser.add_argument("--complaints", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--before", type=int, default=0, help="complaints sent as fast as possible first")
    parser.add_argument("--requests", action="store_true",
                        help="count the requests to Kafka in the paced phase, per API and client id (a proxy "
                             "before Tansu, in this process: the hops are then a little slower)")
    args = parser.parse_args()
    if args.requests:
        infra, work, proxy = counted_infrastructure("lapor-hops-")
        event_loop.run(run(args, infra, work, proxy))
    else:
        infra, work = measuring_infrastructure("lapor-hops-")
        event_loop.run(run(args, infra, work))


if __name__ == "__main__":
    main()

"""``make bench``: how many complaints per second the whole platform carries on this machine.

Every service runs in its own process on the embedded infrastructure, as in production, with every
delivery guarantee on. In one run it measures, in this order:

1. baselines: a raw PostgreSQL hop-shaped transaction rate on one connection, a raw Kafka
   pass-through (plain aiokafka, same volume, same number of hops), and the naive FastStream pipeline
   (four chained subscribers, a PostgreSQL transaction with an inbox insert per hop, same volume):
   the peer the platform must beat (``tools/bench_naive.py``);
2. the pipeline at maximum load: N complaints published as fast as possible;
3. the pipeline at half of the measured maximum, paced;
4. the pipeline at a light, fixed 10 complaints/s (``--light-seconds``): the latency a quiet hour sees;
5. optionally a soak at a fixed rate (``--soak-seconds``), comparing the last third with the first.

Times come from the Kafka record timestamps each hop's producer sets (submission → accepted → routed →
deadline set → notification sent), so the measurement reads the platform from the outside.
Results: ``results/bench-<time>.json`` and ``.png`` and a short table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform as host
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer

from lapor_shared import event_loop, heap
from lapor_shared.events import encode, headers_of
from lapor_shared.testing.infra import Infrastructure
from lapor_shared.testing.platform import Platform
from lapor_shared.topics import SUBMISSIONS, key_of
from tools.bench_baselines import kafka_pass_through, postgres_hop_rate
from tools.bench_naive import naive_faststream_pipeline
from tools.bench_report import Collector, ResourceSampler, by_third, summarise, write_chart
from tools.bench_workload import PIPELINE_ENV, Workload
from tools.platform_infra import measuring_infrastructure, say

LIGHT_RATE = 10.0
"""Complaints per second of the light phase (issue 17: p50 ≤ 100 ms end to end at this rate)."""


async def publish(bootstrap: str, workload: Workload, count: int, rate: float | None) -> list[str]:
    """Publish ``count`` submissions (at ``rate``/s, or as fast as possible); their correlation ids."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    ids: list[str] = []
    started = time.perf_counter()
    futures = []
    try:
        for i in range(count):
            envelope = workload.next()
            ids.append(str(envelope.correlation_id))
            futures.append(await producer.send(
                SUBMISSIONS.name, encode(envelope), key=key_of(envelope, SUBMISSIONS.name),
                headers=[(k, v.encode()) for k, v in headers_of(envelope).items()],
            ))
            if rate:
                ahead = (i + 1) / rate - (time.perf_counter() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return ids


async def phase(name: str, bootstrap: str, collector: Collector, workload: Workload, count: int,
                rate: float | None, timeout: float, sampler: ResourceSampler | None = None,
                thirds: bool = False) -> dict:
    heap.set_aside()  # the traces so far: a full collection walking them would hold up the paced publisher
    say(f"fase {name}: {count} laporan" + (f" pada {rate:.0f}/dtk" if rate else " secepatnya"),
        f"phase {name}: {count} complaints" + (f" at {rate:.0f}/s" if rate else " as fast as possible"))
    began = time.time()
    await publish(bootstrap, workload, count, rate)
    expected = {str(e.correlation_id) for e in workload.sent}  # re-sent duplicates make no new complaint
    done = await collector.wait_for(expected, timeout=timeout)
    cpu: dict[str, float] = {}
    if sampler is not None:  # CPU per complaint per process: where the machine's time goes in this phase
        await asyncio.sleep(sampler.interval)  # the sample that covers the last completions
        cpu = sampler.cpu_seconds(began, time.time())
    result = summarise(collector, done)
    result.update(name=name, published=count, expected=len(expected), completed=len(done),
                  offered_rate=rate,
                  cpu_ms_per_complaint={k: round(v * 1000 / max(len(done), 1), 2) for k, v in cpu.items()})
    if thirds and sampler is not None:
        result["by_third"] = by_third(collector, done, sampler)
    say(f"  selesai {len(done)}/{len(expected)}: {result['throughput_per_s']:.0f} laporan/dtk, "
        f"p50 {result['e2e_ms']['p50']:.0f} ms, p99 {result['e2e_ms']['p99']:.0f} ms",
        "done", mark=" ")
    return result


async def run(args: argparse.Namespace, infra: Infrastructure, work: Path) -> dict:
    try:
        database_url = await infra.new_database()
        heap.set_aside()  # as every service does once started (``lapor_shared.heap``): the baselines get it too
        say("mengukur garis dasar PostgreSQL", "measuring the PostgreSQL baseline")
        b_db = await postgres_hop_rate(database_url)
        say("mengukur garis dasar Kafka (4 lompatan)", "measuring the raw Kafka pass-through (4 hops)")
        b_kafka = await kafka_pass_through(infra.bootstrap_servers, args.complaints)
        say("mengukur garis dasar FastStream naif (4 lompatan)", "measuring the naive FastStream pipeline (4 hops)")
        b_naive = await naive_faststream_pipeline(infra.bootstrap_servers, database_url, args.complaints,
                                                  timeout=args.timeout)
        say("menyalakan semua layanan", "starting every service")
        platform = Platform(infra.bootstrap_servers, database_url, work / "logs", extra_env=PIPELINE_ENV).start()
        sampler = ResourceSampler(platform, infra)
        sampler.start()
        collector = Collector(infra.bootstrap_servers)
        await collector.start()
        try:
            phases = [await phase("max", infra.bootstrap_servers, collector, Workload(seed=1), args.complaints,
                                  None, args.timeout, sampler)]
            half_rate = args.half_rate or max(phases[0]["throughput_per_s"] / 2, 1.0)
            phases.append(await phase("half", infra.bootstrap_servers, collector, Workload(seed=2),
                                      max(int(half_rate * args.half_seconds), 50), half_rate, args.timeout,
                                      sampler))
            if args.light_seconds:
                phases.append(await phase("light", infra.bootstrap_servers, collector, Workload(seed=4),
                                          max(int(LIGHT_RATE * args.light_seconds), 20), LIGHT_RATE, args.timeout,
                                          sampler))
            if args.soak_seconds:
                rate = args.soak_rate or phases[0]["throughput_per_s"] * 0.8
                soak = await phase("soak", infra.bootstrap_servers, collector, Workload(seed=3),
                                   int(rate * args.soak_seconds), rate, args.soak_seconds + args.timeout, sampler,
                                   thirds=True)
                soak["last_third_over_first_third"] = collector.thirds_ratio(soak)
                phases.append(soak)
        finally:
            await collector.stop()
            resources = sampler.stop()
            platform.stop()
    finally:
        infra.close()
    return {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": __import__("os").cpu_count(), "platform": host.platform(),
                    "python": sys.version.split()[0], "event_loop": event_loop.name()},
        "baselines": {"postgres_hop_tx_per_s": b_db, "kafka_pass_through": b_kafka, "naive_faststream": b_naive},
        "phases": phases,
        "ratios": {
            "max_throughput_over_naive_faststream": phases[0]["throughput_per_s"] / b_naive["msgs_per_s"],
            "max_throughput_x4_over_postgres_hop_rate": 4 * phases[0]["throughput_per_s"] / b_db,
            "max_throughput_over_kafka_pass_through": phases[0]["throughput_per_s"] / b_kafka["msgs_per_s"],
            "half_load_p50_over_kafka_p50": phases[1]["e2e_ms"]["p50"] / b_kafka["p50_ms"],
        },
        "resources": resources,
        "logs": str(work / "logs"),
    }


def print_table(result: dict) -> None:
    b = result["baselines"]
    print()
    print(f"PostgreSQL hop tx/s (1 conn): {b['postgres_hop_tx_per_s']:.0f}")
    k = b["kafka_pass_through"]
    print(f"Kafka pass-through 4 hops:    {k['msgs_per_s']:.0f} msg/s, "
          f"p50 {k['p50_ms']:.1f} ms, p99 {k['p99_ms']:.1f} ms")
    n = b["naive_faststream"]
    print(f"Naive FastStream 4 hops:      {n['msgs_per_s']:.0f} msg/s, "
          f"p50 {n['p50_ms']:.1f} ms, p99 {n['p99_ms']:.1f} ms")
    print(f"{'phase':<6} {'done':>7} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  "
          "hop p50 ms (intake/routing/followup/notify)")
    for p in result["phases"]:
        hops = "/".join(f"{p['hop_ms'][h]['p50']:.0f}" for h in ("intake", "routing", "followup", "notify"))
        e = p["e2e_ms"]
        print(f"{p['name']:<6} {p['completed']:>7} {p['throughput_per_s']:>7.0f} {e['p50']:>8.0f} {e['p95']:>8.0f} "
              f"{e['p99']:>8.0f}  {hops}")
    for name, value in result["ratios"].items():
        print(f"{name}: {value:.2f}")
    names = list(result["phases"][0].get("cpu_ms_per_complaint", {}))
    print(f"{'CPU ms per complaint':<20} " + " ".join(f"{n[:9]:>9}" for n in [*names, "total"]))
    for p in result["phases"]:
        cpu = p["cpu_ms_per_complaint"]
        print(f"{p['name']:<20} " + " ".join(f"{cpu[n]:>9.2f}" for n in names) + f" {sum(cpu.values()):>9.2f}")
    for p in result["phases"]:
        if p.get("offered_rate") and (seconds := p.get("by_second")) and len(seconds) <= 60:
            print(f"{p['name']} p99 ms by second of submission: " + " ".join(f"{s['p99_ms']:.0f}" for s in seconds))
    for p in result["phases"]:
        if thirds := p.get("by_third"):
            cpu = thirds["cpu_ms_per_complaint"]
            print(f"{p['name']} by third of its submissions: {'/'.join(map(str, thirds['submitted']))} complaints, "
                  f"p99 {'/'.join(f'{v:.0f}' for v in thirds['e2e_p99_ms'])} ms, CPU ms per complaint: kafka "
                  f"{'/'.join(f'{v:.1f}' for v in cpu.get('kafka', []))}, all "
                  f"{'/'.join(f'{sum(c[k] for c in cpu.values()):.1f}' for k in range(3))}")
    for name, r in result["resources"].items():
        print(f"{name:<10} cpu avg {r['cpu_avg']:.0f}% max {r['cpu_max']:.0f}%  rss max {r['rss_max_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description="Ukur kinerja platform / benchmark the platform")
    parser.add_argument("--complaints", type=int, default=5000, help="complaints in the max-load phase")
    parser.add_argument("--half-seconds", type=float, default=10.0, help="duration of the half-load phase")
    parser.add_argument("--half-rate", type=float, default=0.0,
                        help="rate/s of the half-load phase (default half of the measured maximum; a fixed rate "
                             "compares two checkouts at the same load)")
    parser.add_argument("--light-seconds", type=float, default=20.0,
                        help=f"duration of the light phase at {LIGHT_RATE:.0f}/s (0 = none)")
    parser.add_argument("--soak-seconds", type=float, default=0.0, help="soak duration (0 = no soak; ≥600 for a soak)")
    parser.add_argument("--soak-rate", type=float, default=0.0, help="soak rate/s (default 80%% of max)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    infra, work = measuring_infrastructure("lapor-bench-")
    result = event_loop.run(run(args, infra, work))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str))
    write_chart(result, stem.with_suffix(".png"))
    print_table(result)
    say(f"hasil: {stem}.json dan .png", f"results: {stem}.json and .png", mark="✓")


if __name__ == "__main__":
    main()

"""``make chaos``: complaints keep flowing while services are SIGKILLed and PostgreSQL restarts.

At the end it asserts and prints: complaints lost (must be 0), duplicate effects — state transitions
and notifications (must be 0), handler deliveries over distinct messages handled (at most 1.05), and
the time each killed service took to produce again. Exits non-zero when any check fails.

    uv run python tools/chaos.py                                   # 10,000 complaints, 3 kills each
    uv run python tools/chaos.py --complaints 300 --kills 1 --no-postgres-restart   # the short run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from bench import publish
from bench_workload import PIPELINE_ENV, Workload
from platform_infra import quiet_logging, say

from lapor_shared.testing.infra import Infrastructure, start_infrastructure
from lapor_shared.testing.platform import SERVICES, Platform
from lapor_shared.topics import COMPLAINTS, NOTIFICATIONS

STATE_EVENTS = ("complaint.accepted", "complaint.routed", "complaint.deadline_set")


@dataclass
class Ledger:
    """Every distinct event id seen, by complaint (correlation id) and kind."""

    events: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    notifications: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    produced_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def record(self, r) -> None:  # noqa: ANN001
        headers = {k: v.decode() for k, v in r.headers}
        kind, corr = headers.get("event_type"), headers.get("correlation_id")
        if not kind or not corr:
            return
        self.produced_at[headers.get("producer", "?")].append(r.timestamp / 1000)
        self.events[corr][kind].add(headers["event_id"])
        if kind == "notification.sent":
            p = json.loads(r.value)["payload"]
            self.notifications[(p["source_event_id"], p["recipient_ref"], p["channel"])].add(headers["event_id"])

    def complete(self, corr: str) -> bool:
        kinds = self.events.get(corr, {})
        return all(kinds.get(k) for k in STATE_EVENTS) and bool(kinds.get("notification.sent"))


async def follow(bootstrap: str, ledger: Ledger, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(COMPLAINTS.name, NOTIFICATIONS.name, bootstrap_servers=bootstrap,
                                group_id=f"chaos-{uuid.uuid4().hex}", auto_offset_reset="earliest")
    await consumer.start()
    try:
        while not stop.is_set():
            for records in (await consumer.getmany(timeout_ms=200, max_records=2000)).values():
                for r in records:
                    ledger.record(r)
    finally:
        await consumer.stop()


def _count_duplicate_skips(log_dir: Path) -> int:
    """Redelivered messages the inboxes recognised (a batch logs one line with its count)."""
    total = 0
    for path in log_dir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if '"duplicate_skipped"' in line:
                try:
                    total += int(json.loads(line).get("count", 1))
                except (json.JSONDecodeError, TypeError, ValueError):
                    total += 1
    return total


async def _inbox_rows(database_url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        return sum([await conn.fetchval(f"SELECT count(*) FROM {s}.inbox") for s in SERVICES])
    finally:
        await conn.close()


async def run(args: argparse.Namespace, infra: Infrastructure, work: Path, bootstrap: str | None = None) -> dict:
    """One chaos run on ``infra`` (PostgreSQL restarts need the embedded one) and ``bootstrap``."""
    rng = random.Random(args.seed)
    bootstrap = bootstrap or infra.bootstrap_servers
    database_url = await infra.new_database()
    platform = await asyncio.to_thread(Platform(bootstrap, database_url, work / "logs", extra_env=PIPELINE_ENV).start)
    ledger, stop = Ledger(), asyncio.Event()
    follower = asyncio.create_task(follow(bootstrap, ledger, stop))
    workload = Workload(seed=args.seed)
    rate = args.rate
    duration = args.complaints / rate
    publishing = asyncio.create_task(publish(bootstrap, workload, args.complaints, rate))
    schedule = sorted(
        [(rng.uniform(0.05, 0.7) * duration, name) for name in SERVICES for _ in range(args.kills)]
        + ([(rng.uniform(0.3, 0.7) * duration, "postgres")] if args.postgres_restart and infra.postgres else [])
    )
    recoveries: list[dict] = []
    started = time.monotonic()
    try:
        for at, victim in schedule:
            await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
            killed_at = time.time()
            if victim == "postgres":
                say("PostgreSQL dinyalakan ulang", "restarting PostgreSQL", mark="⚡")
                await asyncio.to_thread(infra.postgres.restart)
                recoveries.append({"victim": victim, "killed_at": killed_at, "recovered_s": None,
                                   "ready_after_s": round(time.time() - killed_at, 2)})
                continue
            service = platform.services[victim]
            stopped_in = None
            if args.graceful:
                say(f"{victim} dihentikan (SIGTERM) dan diganti proses baru", f"rolling restart of {victim}", mark="↻")
                began = time.monotonic()
                await asyncio.to_thread(service.terminate, 15.0)
                stopped_in = round(time.monotonic() - began, 2)
            else:
                say(f"{victim} dimatikan paksa (SIGKILL)", f"SIGKILL {victim}", mark="⚡")
                service.kill()
            await asyncio.to_thread(platform.restart, victim)
            recoveries.append({"victim": victim, "killed_at": killed_at, "recovered_s": None,
                               "stopped_in_s": stopped_in, "ready_after_s": round(time.time() - killed_at, 2)})
        await publishing
        expected = {str(e.correlation_id) for e in workload.sent}
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and not all(ledger.complete(c) for c in expected):
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # let late duplicates, if any, show up
    finally:
        stop.set()
        await follower
        await asyncio.to_thread(platform.stop)
    for rec in recoveries:
        victim = "postgres" if rec["victim"] == "postgres" else rec["victim"]
        producers = ("intake", "routing", "followup", "notify") if victim == "postgres" else (victim,)
        if not any(ledger.produced_at.get(p) for p in producers):
            rec["recovered_s"] = rec.get("ready_after_s")  # a pure reader (dashboard): ready again is recovered
            continue
        after = [t for p in producers for t in ledger.produced_at.get(p, []) if t > rec["killed_at"]]
        # no event after the kill: its work was all done before it; being ready again is recovering
        rec["recovered_s"] = round(min(after) - rec["killed_at"], 2) if after else rec.get("ready_after_s")
    lost = sorted(c for c in expected if not ledger.complete(c))
    missing: dict[str, int] = defaultdict(int)
    for c in lost:
        for kind in (*STATE_EVENTS, "notification.sent"):
            if not ledger.events.get(c, {}).get(kind):
                missing[kind] += 1
    duplicate_states = sum(1 for c in expected for k in STATE_EVENTS if len(ledger.events[c][k]) > 1)
    duplicate_notifications = sum(1 for ids in ledger.notifications.values() if len(ids) > 1)
    handled = await _inbox_rows(database_url)
    redelivered = _count_duplicate_skips(work / "logs")
    return {
        "complaints": len(expected),
        "lost": len(lost),
        "lost_examples": lost[:5],
        "lost_missing_step": dict(missing),
        "duplicate_state_transitions": duplicate_states,
        "duplicate_notifications": duplicate_notifications,
        "handled_messages": handled,
        "redelivered_messages": redelivered,
        "deliveries_over_handled": (handled + redelivered) / handled if handled else float("nan"),
        "recoveries": recoveries,
        "logs": str(work / "logs"),
    }


def verdict(result: dict, max_ratio: float = 1.05) -> list[str]:
    failures = []
    if result["lost"]:
        failures.append(f"{result['lost']} complaints lost")
    if result["duplicate_state_transitions"]:
        failures.append(f"{result['duplicate_state_transitions']} duplicate state transitions")
    if result["duplicate_notifications"]:
        failures.append(f"{result['duplicate_notifications']} duplicate notifications")
    if not result["deliveries_over_handled"] <= max_ratio:
        failures.append(f"redelivery ratio {result['deliveries_over_handled']:.3f} > {max_ratio}")
    if any(r["recovered_s"] is None for r in result["recoveries"]):
        failures.append("a killed service never produced again")
    slow = [r["victim"] for r in result["recoveries"] if (r.get("stopped_in_s") or 0) > 10.0]
    if slow:
        failures.append(f"graceful stop took more than 10 s: {slow}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description="Uji ketahanan / chaos run")
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="complaints published per second")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per service")
    parser.add_argument("--no-postgres-restart", dest="postgres_restart", action="store_false")
    parser.add_argument("--graceful", action="store_true",
                        help="SIGTERM and replace each service (a rolling upgrade) instead of SIGKILL")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=76)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    quiet_logging()
    work = Path(tempfile.mkdtemp(prefix="lapor-chaos-"))
    infra = start_infrastructure(work)
    try:
        result = asyncio.run(run(args, infra, work))
    finally:
        infra.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"chaos-{int(time.time())}.json").write_text(json.dumps(result, indent=2))
    print(f"complaints {result['complaints']}, lost {result['lost']}, duplicate state transitions "
          f"{result['duplicate_state_transitions']}, duplicate notifications {result['duplicate_notifications']}")
    print(f"deliveries/handled {result['deliveries_over_handled']:.3f} "
          f"({result['redelivered_messages']} redelivered of {result['handled_messages']})")
    for rec in result["recoveries"]:
        stopped = f", stopped in {rec['stopped_in_s']} s" if rec.get("stopped_in_s") is not None else ""
        print(f"  {rec['victim']:<9} producing again after {rec['recovered_s']} s{stopped}")
    failures = verdict(result)
    for failure in failures:
        say(failure, mark="✗")
    if not failures:
        say("tidak ada yang hilang, tidak ada yang berulang", "nothing lost, nothing done twice", mark="✓")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

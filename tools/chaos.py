"""``make chaos``: complaints keep flowing while services are SIGKILLed and PostgreSQL restarts.

Longer than ~300 lines on purpose: one scenario told in order (start, load, kills, recovery, verdict);
what it counts at the sinks is in ``chaos_effects.py``.

Notify sends for real, to the local sinks (``tools/sinks.py``: SMTP, an SMS gateway, agency webhooks)
started beside the services, and to its in-app inbox. At the end it asserts and prints: complaints lost
(must be 0); duplicate effects, state transitions and notifications (must be 0); **every planned
notification, counted at the sinks and in the inbox, per kind: planned = delivered, none twice**
(``chaos_effects.py``); the hostile corpus, sent to every topic mid-run, refused by every consumer
(``chaos_corpus.py``); the delay from each source event to its delivery (p50, p99, and p99 of the
events around the kills, at most ``--max-delay-s``); what was in flight at each kill (notify's
deliveries being sent, followup's timers made due just before it) and how soon after the service was
ready again all of it was done (at most ``--max-recovery-s``); handler deliveries over distinct messages
handled (at most 1.05), and the time each killed service took to produce again. A planned message still
undone when ``--timeout`` runs out fails the run. Exits non-zero when any check fails.

The default load (3,000 complaints at 10/s) stays well below what the pipeline carries with real sends
on a two-core machine, so that a delay measures what the kills cost, not a queue that grows anyway;
``--rate 100 --complaints 10000 --max-delay-s 900`` is an overload run.

    uv run python -m tools.chaos                                   # 3,000 complaints, 3 kills each
    uv run python -m tools.chaos --complaints 300 --kills 1 --no-postgres-restart   # the short run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer

from lapor_notify.plan import HANDLED
from lapor_shared.events import DecodeError, Envelope
from lapor_shared.events.codec import decode_record
from lapor_shared.infra import free_port
from lapor_shared.offset_gaps import DEFAULT_WAIT_S, OffsetGaps
from lapor_shared.testing.infra import Infrastructure, start_infrastructure
from lapor_shared.testing.platform import SERVICES, Platform
from lapor_shared.topics import COMPLAINTS, NOTIFICATIONS
from tools import chaos_corpus, chaos_missing
from tools import chaos_effects as effects
from tools.bench import publish
from tools.bench_workload import Workload
from tools.platform_infra import quiet_logging, say

STATE_EVENTS = ("complaint.accepted", "complaint.routed", "complaint.deadline_set")

CHAOS_ENV = {
    # abuse limits protect a national platform from floods; a chaos run is a flood on purpose
    "LAPOR_CHANNEL_RATE_LIMIT": "100000000",
    "LAPOR_REPORTER_RATE_LIMIT": "100000000",
    "LAPOR_SENDING__RATE_LIMITS_PER_HOUR": "{}",
}
WEBHOOK_SECRET = "chaos-secret-umum.18.71"
TIMERS_MADE_DUE = 20
"""Deadline-warning timers made due just before each followup kill: its in-flight timer work."""


def chaos_recipients(http_port: int) -> list[dict[str, Any]]:
    """Kota Bandar Lampung's unit on e-mail, SMS and a signed webhook; every other agency on e-mail
    (the fallback row); no digests, so that every message is due at once."""
    return [
        {"recipient_ref": "agency:umum.18.71", "display_name": "Unit Pengaduan Pemerintah Kota Bandar Lampung",
         "languages": ["id", "en"], "email": "pengaduan.kota-bandar-lampung@instansi.lapor.test",
         "phone": "+6281100001871", "webhook_url": f"http://127.0.0.1:{http_port}/webhook/umum.18.71",
         "webhook_secret": WEBHOOK_SECRET, "digest": "none"},
        {"recipient_ref": "agency:*", "display_name": "{agency_id}", "languages": ["id"],
         "email": "pengaduan.{agency_id}@instansi.lapor.test", "digest": "none"},
    ]


class Sinks:
    """``tools/sinks.py`` as a process of its own: what notify sends lands in ``store`` (JSON lines)."""

    def __init__(self, work: Path) -> None:
        self.smtp_port, self.http_port = free_port(), free_port()
        self.store = work / "sinks.jsonl"
        self.recipients_file = work / "recipients.chaos.json"
        self._log = work / "logs" / "sinks.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Sinks:
        self.recipients_file.write_text(json.dumps(chaos_recipients(self.http_port), indent=1), encoding="utf-8")
        self._log.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tools.sinks", "--smtp-port", str(self.smtp_port),
             "--http-port", str(self.http_port), "--store", str(self.store), "--keep", "100",
             "--webhook-secret", f"umum.18.71={WEBHOOK_SECRET}"],
            stdout=self._log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
            cwd=Path(__file__).resolve().parents[1],  # where `tools` is a package
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("sinks not ready")

    def env(self) -> dict[str, str]:
        return {
            "LAPOR_SMTP__PORT": str(self.smtp_port),
            "LAPOR_SMS__URL": f"http://127.0.0.1:{self.http_port}/sms",
            "LAPOR_RECIPIENTS_FILE": str(self.recipients_file),
        }

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()


@dataclass
class Ledger:
    """Every distinct event id seen, by complaint (correlation id) and kind."""

    events: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    notifications: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    produced_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lifecycle: dict[str, list[Envelope[Any]]] = field(default_factory=lambda: defaultdict(list))
    """The events notify plans messages from, per complaint, in the order notify reads them."""
    located: dict[str, chaos_missing.Location] = field(default_factory=dict)
    """Where each of those events lies (``chaos_missing`` explains a missing message with it)."""
    _seen: set[str] = field(default_factory=set)

    def record(self, r) -> None:
        """A record of the platform's own (the hostile corpus shares the topics: only what decodes counts)."""
        try:
            envelope = decode_record(r)
        except DecodeError:
            return
        kind, corr, event_id = envelope.event_type, str(envelope.correlation_id), str(envelope.event_id)
        self.produced_at[envelope.producer].append(r.timestamp / 1000)
        self.events[corr][kind].add(event_id)
        if (r.topic == COMPLAINTS.name and event_id not in self._seen
                and isinstance(envelope.payload, HANDLED) and envelope.complaint_id is not None):
            self._seen.add(event_id)
            self.lifecycle[str(envelope.complaint_id)].append(envelope)
            self.located[event_id] = (r.topic, r.partition, r.offset)
        if kind == "notification.sent":
            p = envelope.payload
            self.notifications[(str(p.source_event_id), p.recipient_ref, p.channel)].add(event_id)

    def complete(self, corr: str) -> bool:
        kinds = self.events.get(corr, {})
        return all(kinds.get(k) for k in STATE_EVENTS) and bool(kinds.get("notification.sent"))


async def follow(bootstrap: str, ledger: Ledger, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(COMPLAINTS.name, NOTIFICATIONS.name, bootstrap_servers=bootstrap,
                                group_id=f"chaos-{uuid.uuid4().hex}", auto_offset_reset="earliest")
    await consumer.start()
    gaps = OffsetGaps(DEFAULT_WAIT_S)  # the ledger must not miss an event the platform's consumers wait for
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=2000)
            for records in (await gaps.admit_batch(consumer, batch)).values():
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
    conn = await asyncpg.connect(database_url)
    try:
        return sum([await conn.fetchval(f"SELECT count(*) FROM {s}.inbox") for s in SERVICES])
    finally:
        await conn.close()


async def _query(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """One statement on a connection of its own (PostgreSQL may have restarted since the last one)."""
    for attempt in range(20):
        try:
            conn = await asyncpg.connect(database_url)
            try:
                return await conn.fetch(sql, *args)
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError):
            if attempt == 19:
                raise
            await asyncio.sleep(0.5)
    return []


async def in_flight_before(victim: str, database_url: str) -> list[Any]:
    """Work that will be in flight at the kill: followup's deadline-warning timers, made due now."""
    if victim != "followup":
        return []
    rows = await _query(database_url, """
        UPDATE followup.timers SET due_at = now() WHERE timer_id IN (
            SELECT timer_id FROM followup.timers WHERE kind = 'warning' AND fired_at IS NULL
              AND cancelled_at IS NULL AND due_at > now() ORDER BY timer_id LIMIT $1)
        RETURNING timer_id""", TIMERS_MADE_DUE)
    return [r["timer_id"] for r in rows]


async def in_flight_after(victim: str, database_url: str, made_due: list[Any]) -> list[Any]:
    """What the killed process left undone: notify's deliveries still 'sending', followup's timers
    made due and not fired."""
    if victim == "notify":
        rows = await _query(database_url,
                            "SELECT notification_id FROM notify.notifications WHERE status = 'sending'")
        return [r["notification_id"] for r in rows]
    if victim == "followup" and made_due:
        rows = await _query(database_url, "SELECT timer_id FROM followup.timers WHERE timer_id = ANY($1::bigint[])"
                            " AND fired_at IS NULL AND cancelled_at IS NULL", made_due)
        return [r["timer_id"] for r in rows]
    return []


async def done_at(victim: str, database_url: str, ids: list[Any]) -> list[float | None]:
    """When each piece of in-flight work was done: a delivery sent (or finished otherwise), a timer fired."""
    if victim == "notify":
        rows = await _query(database_url, "SELECT CASE WHEN status IN ('sending', 'pending') THEN NULL"
                            " ELSE coalesce(sent_at, updated_at) END AS t FROM notify.notifications"
                            " WHERE notification_id = ANY($1::uuid[])", ids)
    else:
        rows = await _query(database_url, "SELECT fired_at AS t FROM followup.timers"
                            " WHERE timer_id = ANY($1::bigint[])", ids)
    return [r["t"].timestamp() if r["t"] is not None else None for r in rows]


async def count_effects(database_url: str, sinks: Sinks, ledger: Ledger, workload: Workload,
                        also: Sequence[Envelope[Any]] = ()) -> effects.Effects:
    """``also``: submissions sent besides the workload (the hostile corpus's valid originals)."""
    reporters = {
        str(e.correlation_id): effects.Reporter(
            email=e.payload.reporter.email.lower() if e.payload.reporter and e.payload.reporter.email else None,
            phone=e.payload.reporter.phone if e.payload.reporter else None, channel=str(e.payload.channel))
        for e in [*workload.sent, *also]
    }
    planner = effects.Planner(chaos_recipients(sinks.http_port), reporters)
    planned = planner.plan(ledger.lifecycle)
    found, unknown = await effects.receipts(database_url, sinks.store)
    return effects.count(planned, found, unknown)


async def run(args: argparse.Namespace, infra: Infrastructure, work: Path, bootstrap: str | None = None) -> dict:
    """One chaos run on ``infra`` (PostgreSQL restarts need the embedded one) and ``bootstrap``."""
    rng = random.Random(args.seed)
    bootstrap = bootstrap or infra.bootstrap_servers
    database_url = await infra.new_database()
    sinks = await asyncio.to_thread(Sinks(work).start)
    try:
        return await _run(args, infra, work, bootstrap, database_url, sinks, rng)
    finally:
        await asyncio.to_thread(sinks.stop)


async def _run(args: argparse.Namespace, infra: Infrastructure, work: Path, bootstrap: str, database_url: str,
               sinks: Sinks, rng: random.Random) -> dict:
    platform = await asyncio.to_thread(
        Platform(bootstrap, database_url, work / "logs", extra_env={**CHAOS_ENV, **sinks.env()}).start)
    ledger, stop = Ledger(), asyncio.Event()
    follower = asyncio.create_task(follow(bootstrap, ledger, stop))
    workload = Workload(seed=args.seed)
    rate = args.rate
    duration = args.complaints / rate
    publishing = asyncio.create_task(publish(bootstrap, workload, args.complaints, rate))
    corpus = (asyncio.create_task(chaos_corpus.send_after(bootstrap, 0.45 * duration))
              if getattr(args, "corpus", False) else None)
    schedule = sorted(
        [(rng.uniform(0.05, 0.7) * duration, name) for name in SERVICES for _ in range(args.kills)]
        + ([(rng.uniform(0.3, 0.7) * duration, "postgres")] if args.postgres_restart and infra.postgres else [])
    )
    recoveries: list[dict] = []
    started = time.monotonic()
    result_effects: effects.Effects | None = None
    try:
        for at, victim in schedule:
            await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
            if victim == "postgres":
                killed_at = time.time()
                say("PostgreSQL dinyalakan ulang", "restarting PostgreSQL", mark="⚡")
                assert infra.postgres is not None, "restarting PostgreSQL needs the embedded one"
                await asyncio.to_thread(infra.postgres.restart)
                recoveries.append({"victim": victim, "killed_at": killed_at, "recovered_s": None,
                                   "ready_at": time.time(), "ready_after_s": round(time.time() - killed_at, 2)})
                continue
            service = platform.services[victim]
            made_due = await in_flight_before(victim, database_url)
            killed_at = time.time()
            stopped_in = None
            if args.graceful:
                say(f"{victim} dihentikan (SIGTERM) dan diganti proses baru", f"rolling restart of {victim}", mark="↻")
                began = time.monotonic()
                await asyncio.to_thread(service.terminate, 15.0)
                stopped_in = round(time.monotonic() - began, 2)
            else:
                say(f"{victim} dimatikan paksa (SIGKILL)", f"SIGKILL {victim}", mark="⚡")
                service.kill()
            in_flight = await in_flight_after(victim, database_url, made_due)
            await asyncio.to_thread(platform.restart, victim)
            recoveries.append({"victim": victim, "killed_at": killed_at, "recovered_s": None,
                               "stopped_in_s": stopped_in, "ready_at": time.time(),
                               "ready_after_s": round(time.time() - killed_at, 2), "in_flight": in_flight})
        await publishing
        campaign = await corpus if corpus is not None else None
        extra = campaign.submissions() if campaign is not None else []
        expected = {str(e.correlation_id) for e in workload.sent}
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if all(ledger.complete(c) for c in expected):
                result_effects = await count_effects(database_url, sinks, ledger, workload, extra)
                if result_effects.complete:
                    break
            await asyncio.sleep(2.0)
        await asyncio.sleep(2.0)  # let late duplicates, if any, show up
        for rec in recoveries:
            ids = rec.pop("in_flight", None)
            if ids is None:
                continue
            rec["in_flight"] = len(ids)
            times = await done_at(rec["victim"], database_url, ids) if ids else []
            rec["in_flight_undone"] = sum(1 for t in times if t is None)
            done = [t for t in times if t is not None]
            rec["in_flight_done_after_ready_s"] = round(max(0.0, max(done) - rec["ready_at"]), 2) if done else None
            rec["in_flight_done_after_kill_s"] = round(max(done) - rec["killed_at"], 2) if done else None
        result_effects = await count_effects(database_url, sinks, ledger, workload, extra)
        missing_explained = await chaos_missing.explain(database_url, bootstrap, work / "logs", ledger.located,
                                                        result_effects.missing_examples)
        corpus_result = await chaos_corpus.account(bootstrap, campaign) if campaign is not None else None
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
    windows = [(r["killed_at"], r["ready_at"] + 30.0) for r in recoveries]
    delays = result_effects.delays
    around_kills = [d for at, d in delays if any(start <= at <= end for start, end in windows)]
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
        "effects": result_effects.table(),
        "effects_failures": result_effects.failures(),
        "effects_missing_examples": result_effects.missing_examples,
        "effects_missing_explained": missing_explained,
        "planned_messages": result_effects.planned,
        "delay_s": _spread([d for _, d in delays]),
        "delay_after_kills_s": _spread(around_kills),
        "recoveries": recoveries,
        "corpus": corpus_result,
        "logs": str(work / "logs"),
    }


def _spread(values: list[float]) -> dict[str, float | int | None]:
    def rounded(v: float | None) -> float | None:
        return round(v, 2) if v is not None else None
    return {"count": len(values), "p50": rounded(effects.percentile(values, 0.5)),
            "p99": rounded(effects.percentile(values, 0.99)), "max": rounded(max(values, default=None))}


def verdict(result: dict, max_ratio: float = 1.05, max_delay_s: float = 25.0,
            max_recovery_s: float = 25.0) -> list[str]:
    failures = []
    if result["lost"]:
        failures.append(f"{result['lost']} complaints lost")
    if result["duplicate_state_transitions"]:
        failures.append(f"{result['duplicate_state_transitions']} duplicate state transitions")
    if result["duplicate_notifications"]:
        failures.append(f"{result['duplicate_notifications']} duplicate notifications")
    failures.extend(result["effects_failures"])
    if not result["planned_messages"]:
        failures.append("no message was planned: nothing was counted")
    p99 = result["delay_after_kills_s"]["p99"]
    if p99 is None or p99 > max_delay_s:
        failures.append(f"p99 delay from event to delivery around the kills {p99} s > {max_delay_s} s")
    for rec in result["recoveries"]:
        if rec.get("in_flight_undone"):
            failures.append(f"{rec['victim']}: {rec['in_flight_undone']} in flight at the kill never done")
        late = rec.get("in_flight_done_after_ready_s")
        if late is not None and late > max_recovery_s:
            failures.append(f"{rec['victim']}: in-flight work done {late} s after ready > {max_recovery_s} s")
    if not result["deliveries_over_handled"] <= max_ratio:
        failures.append(f"redelivery ratio {result['deliveries_over_handled']:.3f} > {max_ratio}")
    if any(r["recovered_s"] is None for r in result["recoveries"]):
        failures.append("a killed service never produced again")
    failures.extend(chaos_corpus.failures(result.get("corpus")))
    slow = [r["victim"] for r in result["recoveries"] if (r.get("stopped_in_s") or 0) > 10.0]
    if slow:
        failures.append(f"graceful stop took more than 10 s: {slow}")
    return failures


def report(result: dict) -> None:
    print(f"complaints {result['complaints']}, lost {result['lost']}, duplicate state transitions "
          f"{result['duplicate_state_transitions']}, duplicate notifications {result['duplicate_notifications']}")
    print(f"deliveries/handled {result['deliveries_over_handled']:.3f} "
          f"({result['redelivered_messages']} redelivered of {result['handled_messages']})")
    print(f"{'notification (template/channel)':<44} {'planned':>8} {'delivered':>9} {'missing':>7} "
          f"{'twice':>5} {'resent':>6}")
    for row in result["effects"]:
        print(f"{row['kind']:<44} {row['planned']:>8} {row['delivered']:>9} {row['missing']:>7} "
              f"{row['duplicated']:>5} {row['resent']:>6}")
    total = {k: sum(r[k] for r in result["effects"]) for k in ("planned", "delivered", "missing", "duplicated",
                                                              "resent")}
    print(f"{'all':<44} {total['planned']:>8} {total['delivered']:>9} {total['missing']:>7} "
          f"{total['duplicated']:>5} {total['resent']:>6}")
    d, k = result["delay_s"], result["delay_after_kills_s"]
    print(f"delay event → delivery: p50 {d['p50']} s, p99 {d['p99']} s, max {d['max']} s ({d['count']} messages); "
          f"around the kills: p50 {k['p50']} s, p99 {k['p99']} s, max {k['max']} s ({k['count']} messages)")
    chaos_corpus.report(result.get("corpus"))
    for rec in result["recoveries"]:
        stopped = f", stopped in {rec['stopped_in_s']} s" if rec.get("stopped_in_s") is not None else ""
        flight = ""
        if rec.get("in_flight_undone"):
            flight = f"; {rec['in_flight_undone']} of {rec['in_flight']} in flight at the kill never done"
        elif rec.get("in_flight"):
            flight = (f"; {rec['in_flight']} in flight at the kill, all done {rec['in_flight_done_after_kill_s']} s"
                      f" after the kill ({rec['in_flight_done_after_ready_s']} s after ready)")
        elif rec.get("in_flight") == 0:
            flight = "; nothing in flight at the kill"
        print(f"  {rec['victim']:<9} ready again after {rec['ready_after_s']} s, producing again after "
              f"{rec['recovered_s']} s{stopped}{flight}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Uji ketahanan / chaos run")
    parser.add_argument("--complaints", type=int, default=3_000)
    parser.add_argument("--rate", type=float, default=10.0, help="complaints published per second")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per service")
    parser.add_argument("--no-postgres-restart", dest="postgres_restart", action="store_false")
    parser.add_argument("--graceful", action="store_true",
                        help="SIGTERM and replace each service (a rolling upgrade) instead of SIGKILL")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--max-delay-s", type=float, default=25.0,
                        help="p99 delay from event to delivery allowed around the kills")
    parser.add_argument("--max-recovery-s", type=float, default=25.0,
                        help="seconds after ready by which the work in flight at a kill must be done")
    parser.add_argument("--no-corpus", dest="corpus", action="store_false",
                        help="leave out the hostile corpus sent to every topic mid-run")
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
    report(result)
    failures = verdict(result, max_delay_s=args.max_delay_s, max_recovery_s=args.max_recovery_s)
    for failure in failures:
        say(failure, mark="✗")
    if not failures:
        say("tidak ada yang hilang, tidak ada yang berulang, setiap pesan terkirim",
            "nothing lost, nothing done twice, every planned message delivered", mark="✓")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

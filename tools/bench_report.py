"""Reading the platform from the outside during a benchmark: event timestamps per complaint,
CPU and memory of every process, summaries and the chart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import psutil
from aiokafka import AIOKafkaConsumer

from lapor_shared.offset_gaps import DEFAULT_WAIT_S, OffsetGaps
from lapor_shared.topics import COMPLAINTS, NOTIFICATIONS, SUBMISSIONS

HOPS = ("intake", "routing", "followup", "notify")


@dataclass
class Trace:
    submitted: float | None = None
    submitted_event_id: str | None = None
    accepted: float | None = None
    routed: float | None = None
    routed_event_id: str | None = None
    deadline_set: float | None = None
    notified: float | None = None
    early_notifications: list[tuple[str, float]] = field(default_factory=list)


class Timings(NamedTuple):
    """A complete trace's moments (seconds)."""

    submitted: float
    accepted: float
    routed: float
    deadline_set: float
    notified: float


def _timings(t: Trace) -> Timings:
    moments = (t.submitted, t.accepted, t.routed, t.deadline_set, t.notified)
    assert all(m is not None for m in moments), "only complete traces are summarised"
    return Timings(*(m for m in moments if m is not None))


class Collector:
    """Consumes submissions, the lifecycle stream and notifications; keeps seconds per step.

    It reads the moments from the records' timestamps, set by the producer of each, so when it reads them does not
    change what it measures; and it reads in gulps, so that it costs the broker (a fetch of 18 partitions, which on
    the embedded Tansu lists each partition's history) as little as it can: once caught up it pauses
    ``pause_s`` between two reads, and aiokafka does not fetch a partition again while records of it wait to be
    read, so it asks about twice a second instead of at every record (17 fetches a second at 100 complaints/s
    before)."""

    MAX_RECORDS = 2000
    """Records per read; a read this full means the collector is behind, and it reads again at once."""

    def __init__(self, bootstrap: str, pause_s: float = 0.5) -> None:
        self.bootstrap = bootstrap
        self.pause_s = pause_s
        self.traces: dict[str, Trace] = {}
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            SUBMISSIONS.name, COMPLAINTS.name, NOTIFICATIONS.name, bootstrap_servers=self.bootstrap,
            group_id=f"bench-{uuid.uuid4().hex}", auto_offset_reset="earliest", enable_auto_commit=False,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        if self._consumer:
            await self._consumer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        gaps = OffsetGaps(DEFAULT_WAIT_S)  # a record the embedded broker hands out late is waited for, not missed
        while True:
            batch = await gaps.admit_batch(self._consumer, await self._consumer.getmany(
                timeout_ms=200, max_records=self.MAX_RECORDS))
            for records in batch.values():
                for r in records:
                    self._record(r)
            if pause := self.pause_after(sum(map(len, batch.values()))):
                await asyncio.sleep(pause)

    def pause_after(self, records: int) -> float:
        """How long to wait before the next read, after one that returned ``records``: a pause once caught up
        (something read, less than a full read), none while behind or while nothing comes."""
        return self.pause_s if 0 < records < self.MAX_RECORDS else 0.0

    def _record(self, r) -> None:
        headers = {k: v.decode() for k, v in r.headers}
        corr, kind, ts = headers.get("correlation_id"), headers.get("event_type"), r.timestamp / 1000
        if corr is None:
            return
        trace = self.traces.setdefault(corr, Trace())
        if kind == "complaint.submitted" and trace.submitted is None:
            trace.submitted, trace.submitted_event_id = ts, headers.get("event_id")
        elif kind == "complaint.accepted" and trace.accepted is None:
            trace.accepted = ts
        elif kind == "complaint.routed" and trace.routed is None:
            trace.routed, trace.routed_event_id = ts, headers["event_id"]
            for source, at in trace.early_notifications:
                self._notified(trace, source, at)
        elif kind == "complaint.deadline_set" and trace.deadline_set is None:
            trace.deadline_set = ts
        elif kind == "notification.sent":
            source = json.loads(r.value)["payload"]["source_event_id"]
            if trace.routed_event_id is None:
                trace.early_notifications.append((source, ts))
            else:
                self._notified(trace, source, ts)

    @staticmethod
    def _notified(trace: Trace, source: str, at: float) -> None:
        if source == trace.routed_event_id and (trace.notified is None or at < trace.notified):
            trace.notified = at

    def complete(self, ids: set[str]) -> set[str]:
        return {
            i for i in ids
            if (t := self.traces.get(i)) and None not in (t.submitted, t.accepted, t.routed, t.deadline_set, t.notified)
        }

    async def wait_for(self, ids: set[str], timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        done = self.complete(ids)
        while len(done) < len(ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            done = self.complete(ids)
        return done

    def thirds_ratio(self, phase: dict) -> float:
        counts = phase["completions_by_third"]
        return counts[2] / counts[0] if counts[0] else float("nan")


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
    values = sorted(values)
    at = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": values[-1],
            "mean": statistics.fmean(values)}


def by_third(collector: Collector, done: set[str], sampler: ResourceSampler) -> dict:
    """A long phase cut in three by submission time: each third's complaints, their p99 end to end, and the CPU
    each process spent in that third per complaint submitted in it (a soak's drift, and whose it is)."""
    traces = [_timings(collector.traces[i]) for i in done]
    if not traces:
        return {}
    start = min(t.submitted for t in traces)
    third = (max(t.submitted for t in traces) - start) / 3 or 1.0
    parts: list[list[Timings]] = [[], [], []]
    for t in traces:
        parts[min(2, int((t.submitted - start) / third))].append(t)
    cpu = [sampler.cpu_seconds(start + k * third, start + (k + 1) * third) for k in range(3)]
    return {
        "submitted": [len(part) for part in parts],
        "e2e_p99_ms": [_percentiles([1000 * (t.notified - t.submitted) for t in part])["p99"] for part in parts],
        "cpu_ms_per_complaint": {
            name: [round(1000 * cpu[k][name] / max(len(parts[k]), 1), 2) for k in range(3)] for name in cpu[0]
        },
    }


def hop_seconds(t: Timings) -> dict[str, float]:
    """Each hop's time for one complaint (``HOPS``): followup's and notify's both start at the routing."""
    return {"intake": t.accepted - t.submitted, "routing": t.routed - t.accepted,
            "followup": t.deadline_set - t.routed, "notify": t.notified - t.routed}


def summarise(collector: Collector, done: set[str]) -> dict:
    traces = [_timings(collector.traces[i]) for i in done]
    if not traces:
        return {"throughput_per_s": 0.0, "e2e_ms": _percentiles([]), "hop_ms": {h: _percentiles([]) for h in HOPS},
                "completions_by_third": [0, 0, 0]}
    start = min(t.submitted for t in traces)
    end = max(t.notified for t in traces)
    ms = lambda a, b: 1000 * max(b - a, 0.0)  # noqa: E731
    third = (end - start) / 3 or 1.0
    by_third = [0, 0, 0]
    for t in traces:
        by_third[min(2, int((t.notified - start) / third))] += 1
    return {
        "throughput_per_s": len(traces) / max(end - start, 1e-9),
        "duration_s": end - start,
        "e2e_ms": _percentiles([ms(t.submitted, t.notified) for t in traces]),
        "hop_ms": {hop: _percentiles([1000 * max(hop_seconds(t)[hop], 0.0) for t in traces]) for hop in HOPS},
        "completions_by_third": by_third,
        "by_second": by_second(traces, start),
    }


def by_second(traces: list[Timings], start: float) -> list[dict[str, float | str]]:
    """The phase second by second of submission: how many were submitted in it, their p50 and p99 end to end and
    the hop that took longest for its slowest complaint: whether a phase's tail is spread or a few stalls."""
    seconds: dict[int, list[Timings]] = {}
    for t in traces:
        seconds.setdefault(int(t.submitted - start), []).append(t)
    rows: list[dict[str, float | str]] = []
    for second in sorted(seconds):
        part = seconds[second]
        e2e = _percentiles([1000 * (t.notified - t.submitted) for t in part])
        slowest = max(part, key=lambda t: t.notified - t.submitted)
        hops = hop_seconds(slowest)
        del hops["followup"]  # beside notify's hop, not on the way to the notification
        rows.append({"second": second, "submitted": len(part), "p50_ms": round(e2e["p50"], 1),
                     "p99_ms": round(e2e["p99"], 1), "slowest_hop": max(hops, key=lambda h: hops[h]),
                     "slowest_hop_ms": round(1000 * max(hops.values()), 1)})
    return rows


class ResourceSampler(threading.Thread):
    """CPU % (of one core) and resident memory of every service, the broker and PostgreSQL."""

    def __init__(self, platform, infra, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.groups: dict[str, list[psutil.Process]] = {
            name: [psutil.Process(s.process.pid)] for name, s in platform.services.items() if s.process
        }
        if infra.kafka is not None and infra.kafka.process is not None:
            self.groups["kafka"] = [psutil.Process(infra.kafka.process.pid)]
        if infra.postgres is not None:
            data_dir = str(infra.postgres.data_dir)
            self.groups["postgres"] = [
                p for p in psutil.process_iter(["cmdline"]) if data_dir in " ".join(p.info["cmdline"] or [])
            ]
        self.samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in self.groups}
        self._children: dict[tuple[int, float], psutil.Process] = {}
        self._halt = threading.Event()

    def _procs(self, name: str) -> list[psutil.Process]:
        procs = list(self.groups[name])
        if name == "postgres":
            for p in list(procs):
                with contextlib.suppress(psutil.Error):
                    procs += [self._known(child) for child in p.children(recursive=True)]
        return procs

    def _known(self, proc: psutil.Process) -> psutil.Process:
        """The same ``Process`` object on every sample: ``cpu_percent(None)`` measures since that object's
        previous call, so a fresh object per sample (as ``children()`` returns) always reads 0 % — which is
        how the PostgreSQL backends, where its work happens, once went unseen."""
        return self._children.setdefault((proc.pid, proc.create_time()), proc)

    def run(self) -> None:
        for name in self.groups:
            for p in self._procs(name):
                with contextlib.suppress(psutil.Error):
                    p.cpu_percent(None)
        while not self._halt.wait(self.interval):
            now = time.time()
            for name in self.groups:
                cpu = rss = 0.0
                for p in self._procs(name):
                    try:
                        cpu += p.cpu_percent(None)
                        rss += p.memory_info().rss / 2**20
                    except psutil.Error:
                        pass
                self.samples[name].append((now, cpu, rss))

    def cpu_seconds(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds each process group used between ``start`` and ``end`` (``time.time()``), from the samples:
        each sample's % of a core over the interval before it."""
        return {name: sum(cpu for at, cpu, _ in s if start < at <= end) * self.interval / 100
                for name, s in list(self.samples.items())}

    def stop(self) -> dict[str, dict[str, float]]:
        self._halt.set()
        self.join(2)
        return {
            name: {
                "cpu_avg": statistics.fmean(c for _, c, _ in s) if s else 0.0,
                "cpu_max": max((c for _, c, _ in s), default=0.0),
                "rss_max_mb": max((r for _, _, r in s), default=0.0),
            }
            for name, s in self.samples.items()
        }


def write_chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    phases = result["phases"]
    names = [p["name"] for p in phases]
    for q in ("p50", "p95", "p99"):
        left.plot(names, [p["e2e_ms"][q] for p in phases], marker="o", label=f"end to end {q}")
    left.set_ylabel("ms")
    left.set_yscale("log")
    left.set_title("Latency per phase (submission → notification)")
    left.legend()
    resources = result["resources"]
    right.bar(list(resources), [r["cpu_avg"] for r in resources.values()], label="avg")
    right.bar(list(resources), [r["cpu_max"] - r["cpu_avg"] for r in resources.values()],
              bottom=[r["cpu_avg"] for r in resources.values()], alpha=0.4, label="max")
    right.set_ylabel("% of one core")
    right.set_title(f"CPU per process — max {phases[0]['throughput_per_s']:.0f} complaints/s")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

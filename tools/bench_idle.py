"""``make bench-idle``: what the platform costs with nobody filing a complaint (issue 17: ≤ 10 % of one core).

Starts the platform as ``make run`` does (``tools/run_platform.py``, on free ports in a fresh run folder),
waits until every service is ready and a settling time has passed (consumer groups joined, start-up
work done), then measures the CPU time of every platform process over ``--seconds`` with no traffic:
the services, the Tansu broker, PostgreSQL and its backends (found by the run folder in the
postmaster's command line, since ``pg_ctl`` detaches it), and, apart from the total, the supervisor
and the local mail/SMS sink. Prints % of one core per process and in total, and writes
``results/idle-<time>.json``.

Then it prices the quiet: the complaint sent after the measured minute (``--after-quiet N``: N complaints,
each after ``--quiet-seconds`` with nobody filing) finds every hop of the pipeline at its quiet pace
(``lapor_shared.fetch_pace``), and the tool prints its time end to end and per hop, as ``make bench`` reads
them (Kafka record timestamps: submission → ``notification.sent`` for the routed event). That is what the
idle waits cost the first reporter after a quiet spell (``tools.bench_quiet``).

With ``--requests`` it also counts what the platform asks the broker over the same window: it starts the
embedded Tansu itself behind the counting proxy of ``tools/kafka_requests.py`` (the broker advertises the
proxy's port) and gives the platform that broker (``LAPOR_KAFKA_BOOTSTRAP_SERVERS``). Tansu is measured by
its pid, still as ``kafka``; the proxy runs in a thread of this process, shown apart and not counted.

    uv run python -m tools.bench_idle --seconds 60 [--after-quiet 3] [--requests]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import psutil

from lapor_shared import event_loop
from lapor_shared.infra import EmbeddedKafka, free_port
from lapor_shared.settings import ServiceSettings
from lapor_shared.testing.infra import Infrastructure, start_infrastructure
from tools.bench_quiet import after_quiet, priced_table
from tools.kafka_requests import CountingProxy, ProxyThread, rates, table
from tools.platform_infra import quiet_logging, say
from tools.run_platform import ROOT, SERVICES

NOT_PLATFORM = ("supervisor", "sinks", "proxy")
"""Measured and shown, but not part of the platform's total: a development machine's helpers and the
counting proxy of ``--requests``."""


def role_of(proc: psutil.Process, supervisor_pid: int) -> str:
    """Which part of the platform a process is: a service's name, ``kafka``, ``postgres`` …"""
    if proc.pid == supervisor_pid:
        return "supervisor"
    line = " ".join(proc.cmdline())
    for name in SERVICES:
        if f"lapor_{name}" in line:
            return name
    if "tools.sinks" in line:
        return "sinks"
    if "tansu" in line.lower():
        return "kafka"
    if "postgres" in line.lower():
        return "postgres"
    return proc.name()


class CpuMeter:
    """CPU seconds each process used between ``start()`` and the last ``sample()``; a process that appears
    in between (a new PostgreSQL backend) counts from zero, one that ends keeps its last reading."""

    def __init__(self, supervisor: psutil.Process, run_dir: Path, also: tuple[int, ...] = ()) -> None:
        self.supervisor = supervisor
        self.run_dir = str(run_dir)
        self.also = also  # pids started apart from the platform (the broker of --requests)
        self.first: dict[tuple[int, float], float] = {}
        self.last: dict[tuple[int, float], float] = {}
        self.roles: dict[tuple[int, float], str] = {}
        self.started = 0.0

    def processes(self) -> list[psutil.Process]:
        procs = [self.supervisor, *self.supervisor.children(recursive=True)]
        for pid in self.also:
            with contextlib.suppress(psutil.Error):
                procs.append(psutil.Process(pid))
        for p in psutil.process_iter(["cmdline"]):
            if self.run_dir in " ".join(p.info["cmdline"] or []) and p.pid not in {q.pid for q in procs}:
                procs += [p, *p.children(recursive=True)]  # the postmaster and its backends
        return procs

    def sample(self) -> None:
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                key = (p.pid, p.create_time())
                t = p.cpu_times()
                used = t.user + t.system
                if key not in self.first:
                    self.first[key] = used if not self.started or key[1] < self.started else 0.0
                    self.roles[key] = role_of(p, self.supervisor.pid)
                self.last[key] = used

    def start(self) -> None:
        self.started = 0.0
        self.sample()
        self.started = time.time()

    def result(self) -> dict[str, float]:
        elapsed = time.time() - self.started
        per_role: dict[str, float] = defaultdict(float)
        for key, used in self.last.items():
            per_role[self.roles[key]] += 100 * (used - self.first[key]) / elapsed
        return dict(sorted(per_role.items(), key=lambda kv: -kv[1]))


def start_platform(run_dir: Path, log: Path, kafka: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """The platform as ``make run`` starts it, and the Kafka it uses (``kafka``, the environment's, or the
    embedded one on a free port)."""
    kafka_port = free_port()
    bootstrap = kafka or os.environ.get("LAPOR_KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{kafka_port}"
    env = {**os.environ, **{f"LAPOR_{name.upper()}_PORT": str(free_port()) for name in SERVICES},
           "LAPOR_SINKS_PORT": str(free_port()), "LAPOR_SINKS_SMTP_PORT": str(free_port()),
           **({"LAPOR_KAFKA_BOOTSTRAP_SERVERS": kafka} if kafka else {})}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tools.run_platform", "--run-dir", str(run_dir), "--kafka-port", str(kafka_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        ), bootstrap


def wait_until_running(proc: subprocess.Popen[bytes], log: Path, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "is running" in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise SystemExit(f"the platform stopped (code {proc.returncode}); see {log}")
        time.sleep(1.0)
    raise SystemExit(f"the platform was not running after {timeout:.0f} s; see {log}")


def start_counted_kafka(run_dir: Path) -> tuple[ProxyThread, EmbeddedKafka]:
    """An embedded Tansu behind the counting proxy (listening first: the broker's start goes through it)."""
    broker_port = free_port()
    proxy = ProxyThread(CountingProxy("127.0.0.1", broker_port)).start()
    kafka = EmbeddedKafka(port=broker_port, advertised_port=proxy.proxy.listen_port, log_path=run_dir / "kafka.log")
    say("menyalakan Kafka (Tansu) di balik proxy penghitung permintaan",
        f"starting Kafka (Tansu) behind the request-counting proxy ({kafka.bootstrap_servers} → {broker_port})")
    try:
        kafka.start()
    except BaseException:
        kafka.stop()
        proxy.stop()
        raise
    return proxy, kafka


def counted_infrastructure(prefix: str) -> tuple[Infrastructure, Path, ProxyThread]:
    """``measuring_infrastructure``'s embedded pair, with Tansu behind the counting proxy (``tools.bench_hops
    --requests``)."""
    quiet_logging()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    proxy, kafka = start_counted_kafka(work)
    try:
        infra = start_infrastructure(work, kafka=kafka)
    except BaseException:
        kafka.stop()
        proxy.stop()
        raise
    infra.on_close(proxy.stop)
    return infra, work, proxy


def stop_platform(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def quiet_enough_s() -> float:
    """Long enough a quiet spell that every hop has taken its quiet pace: the services' own
    ``LAPOR_DELIVERY__QUIET_AFTER_S`` (read from this environment, which the platform inherits), plus 5 s for
    the pace's round to notice."""
    return ServiceSettings(service_name="bench-idle").delivery.quiet_after_s + 5.0


def measure(seconds: float, settle: float, requests: bool = False, after: int = 0,
            quiet_s: float | None = None) -> dict[str, object]:
    quiet_s = quiet_enough_s() if quiet_s is None else quiet_s
    run_dir = Path(tempfile.mkdtemp(prefix="lapor-idle-"))
    log = run_dir / "run_platform.log"
    proxy, kafka = start_counted_kafka(run_dir) if requests else (None, None)
    counted: dict[str, object] | None = None
    priced: list[dict[str, object]] = []
    try:
        say("menyalakan platform seperti make run", f"starting the platform as make run does ({run_dir})")
        proc, bootstrap = start_platform(run_dir, log, kafka.bootstrap_servers if kafka else None)
        try:
            wait_until_running(proc, log)
            say(f"siap; menunggu {settle:.0f} dtk", f"ready; settling for {settle:.0f} s")
            time.sleep(settle)
            meter = CpuMeter(psutil.Process(proc.pid), run_dir, (kafka.process.pid,) if kafka and kafka.process else ())
            counting = ("; permintaan ke Kafka dihitung", "; counting the requests to Kafka") if proxy else ("", "")
            say(f"mengukur CPU selama {seconds:.0f} dtk tanpa lalu lintas{counting[0]}",
                f"measuring CPU for {seconds:.0f} s with no traffic{counting[1]}")
            meter.start()
            proxy_cpu, counting_since = (proxy.cpu_seconds(), time.monotonic()) if proxy else (0.0, 0.0)
            if proxy:
                proxy.proxy.counter.reset()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                time.sleep(1.0)
                meter.sample()
            per_role = meter.result()
            if proxy:  # the counts over the window the CPU was measured in; the proxy's CPU shown apart
                window = time.monotonic() - counting_since
                counted = rates(proxy.proxy.counter.snapshot(), window)
                per_role["proxy"] = 100 * (proxy.cpu_seconds() - proxy_cpu) / window
            if after:
                say(f"{after} laporan, masing-masing setelah sepi", f"{after} complaint(s), each after a quiet spell "
                    f"(the first after {settle + seconds:.0f} s, then {quiet_s:.0f} s apart)")
                priced = event_loop.run(after_quiet(bootstrap, after, quiet_s))
        finally:
            stop_platform(proc)
    finally:
        if kafka and proxy:
            kafka.stop()
            proxy.stop()
    total = sum(v for k, v in per_role.items() if k not in NOT_PLATFORM)
    return {"when": datetime.now(UTC).isoformat(), "seconds": seconds, "settle_seconds": settle,
            "load_average": os.getloadavg(), "cpus": os.cpu_count(),
            "platform_cpu_percent_of_one_core": total, "per_process": per_role, "log": str(log),
            **({"kafka_requests": counted} if counted else {}),
            **({"after_quiet": priced} if priced else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU platform saat diam / the idle platform's CPU")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure (default 60)")
    parser.add_argument("--settle", type=float, default=20.0, help="wait after ready before measuring")
    parser.add_argument("--after-quiet", type=int, default=1,
                        help="complaints sent one by one after the measured minute, each on a quiet platform "
                             "(default 1; 0: none)")
    parser.add_argument("--quiet-seconds", type=float, default=None,
                        help="quiet before each later one (default: LAPOR_DELIVERY__QUIET_AFTER_S + 5, 35 s)")
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--requests", action="store_true",
                        help="also count the requests to Kafka per API and per client id (a proxy before Tansu)")
    args = parser.parse_args()
    result = measure(args.seconds, args.settle, args.requests, args.after_quiet, args.quiet_seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"idle-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2))
    print()
    per_process = result["per_process"]
    assert isinstance(per_process, dict)
    for name, percent in per_process.items():
        aside = "  (not counted)" if name in NOT_PLATFORM else ""
        print(f"{name:<12} {percent:6.1f} % of one core{aside}")
    load = result["load_average"]
    assert isinstance(load, tuple)
    print(f"{'platform':<12} {result['platform_cpu_percent_of_one_core']:6.1f} % of one core in total "
          f"(target ≤ 10 %; load average at the end {load[0]:.1f})")
    priced = result.get("after_quiet")
    if isinstance(priced, list):
        print()
        print(priced_table(priced))
    counted = result.get("kafka_requests")
    if isinstance(counted, dict):
        print()
        print(table(counted))
    say(f"hasil: {path}", f"results: {path}", mark="✓")


if __name__ == "__main__":
    main()

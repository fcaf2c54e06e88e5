"""Where the time goes: every service sampled with py-spy while ``make bench`` drives it at maximum load
(or, with ``--phase half``, at a paced half load).

``make profile`` (issue 17) runs the benchmark (``tools.bench``, a short half-load phase), and when its
maximum-load phase starts, records each service of *that* run (the benchmark's own child processes, never
another platform on the machine) with py-spy for ``--seconds``. It writes to ``results/``:

- ``profile-<time>-<service>.txt``: the samples as collapsed stacks (open them in speedscope.app or
  ``flamegraph.pl`` for a flame graph);
- ``profile-<time>.md``: the table below, also printed: for each service the share of its samples in each
  kind of work, and the functions of our own code that hold the most samples.

The kinds, read from each sample's stack (the first that matches wins): *waiting* (the event loop asleep in
``select``, or in uvloop's C loop), *PostgreSQL* (asyncpg: statements, transactions, the pool), *Kafka fetch*
(aiokafka's fetcher), *Kafka produce* (aiokafka's producer), *Kafka other* (metadata, group membership),
*logging* (structlog), *validation* (pydantic), *other*. py-spy counts a sample whenever the process is on the
CPU or in a system call, so *waiting* is the event loop's idle share and the rest is work. Shares are
comparable between runs on a busy machine; seconds are not.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("gateway", "intake", "routing", "followup", "notify", "dashboard")
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("PostgreSQL", re.compile(r"asyncpg/")),
    ("Kafka fetch", re.compile(r"aiokafka/consumer/fetcher")),
    ("Kafka produce", re.compile(r"aiokafka/producer/")),
    ("Kafka other", re.compile(r"aiokafka/")),
    ("logging", re.compile(r"structlog/")),
    ("validation", re.compile(r"pydantic/|pydantic_core")),
)
WAITING = re.compile(r"Selector\.select \(selectors\.py|^Runner\.run \(asyncio/runners\.py")
"""The event loop asleep: in ``select`` (asyncio's loop), or in uvloop's C loop, where py-spy's innermost Python
frame is ``Runner.run`` (which then also holds what uvloop does in C: its socket reads and writes)."""
OWN_CODE = re.compile(r"^(?P<function>.*) \((?P<module>lapor_\w+/[\w/]+\.py)(?::\d+)?\)$")


def kind_of(stack: list[str]) -> str:
    """The kind of work a sample was doing (its stack, outermost frame first)."""
    if stack and WAITING.search(stack[-1]):
        return "waiting"
    joined = ";".join(stack)
    return next((name for name, pattern in KINDS if pattern.search(joined)), "other")


def own_function(frame: str) -> str | None:
    """``lapor_intake/service.py accept_submission`` for a frame of our code; None for a library's."""
    match = OWN_CODE.match(frame.strip())
    return f"{match['module']} {match['function']}" if match else None


def summarise(collapsed: str) -> tuple[int, dict[str, int], collections.Counter[str]]:
    """Samples, samples per kind, and inclusive samples per function of our own code (runtime plumbing
    that every sample passes through left out)."""
    total = 0
    kinds: dict[str, int] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for line in collapsed.splitlines():
        stack_text, _, count_text = line.rstrip().rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        count, stack = int(count_text), stack_text.split(";")
        total += count
        kinds[kind_of(stack)] += count
        for name in {f for f in map(own_function, stack) if f and "__main__" not in f and "runtime.py" not in f}:
            own[name] += count
    return total, kinds, own


def table(summaries: dict[str, tuple[int, dict[str, int], collections.Counter[str]]], top: int = 4) -> str:
    names = ["waiting", *(n for n, _ in KINDS), "other"]
    lines = ["| service | samples | " + " | ".join(names) + " | most samples in our code (inclusive) |",
             "|---|---|" + "---|" * len(names) + "---|"]
    for service, (total, kinds, own) in summaries.items():
        shares = [f"{100 * kinds.get(n, 0) / max(total, 1):.0f} %" for n in names]
        plumbing = ("Consumer.", "Runtime.", "Tx.", "BackgroundLoop.")
        hot = [(f, n) for f, n in own.most_common() if not f.split(" ", 1)[1].startswith(plumbing)][:top]
        hot_text = ", ".join(f"`{f.split(' ', 1)[1]}` {100 * n / max(total, 1):.0f} %" for f, n in hot)
        lines.append(f"| {service} | {total} | " + " | ".join(shares) + f" | {hot_text} |")
    return "\n".join(lines)


def _services_of(parent: psutil.Process) -> dict[str, int]:
    found: dict[str, int] = {}
    for child in parent.children(recursive=True):
        try:
            cmdline = child.cmdline()
        except psutil.Error:
            continue
        for service in SERVICES:
            if f"lapor_{service}" in cmdline and cmdline[cmdline.index(f"lapor_{service}") - 1] == "-m":
                found[service] = child.pid
    return found


def _wait_for_phase(bench: subprocess.Popen[str], marker: str, timeout_s: float) -> None:
    assert bench.stdout is not None
    deadline = time.monotonic() + timeout_s
    for line in bench.stdout:
        print(line, end="", flush=True)
        if marker in line:
            return
        if time.monotonic() > deadline:
            break
    raise SystemExit(f"✗ {marker} tidak dimulai / the benchmark's phase never started")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Profil layanan saat beban maksimum / profile the services at maximum load")
    p.add_argument("--complaints", type=int, default=4000, help="complaints in the benchmark's max phase")
    p.add_argument("--seconds", type=int, default=30, help="how long each service is sampled")
    p.add_argument("--rate", type=int, default=100, help="samples per second")
    p.add_argument("--phase", choices=("max", "half"), default="max",
                   help="sample at maximum load, or in the paced half-load phase (at --half-rate)")
    p.add_argument("--half-rate", type=float, default=80.0, help="complaints/s of the half phase (--phase half)")
    p.add_argument("--out", type=Path, default=ROOT / "results")
    args = p.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("✗ py-spy tidak ada / py-spy is missing: make setup installs it", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    half = ["--half-rate", str(args.half_rate), "--half-seconds", str(args.seconds + 10), "--light-seconds", "0"]
    bench = subprocess.Popen(
        [sys.executable, "-m", "tools.bench", "--complaints", str(args.complaints),
         *(half if args.phase == "half" else ["--half-seconds", "3"]), "--out", str(args.out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_for_phase(bench, f"fase {args.phase}", timeout_s=900)
        time.sleep(3)  # past the first batches: the steady state
        pids = _services_of(psutil.Process(bench.pid))
        print(f"• merekam / sampling {', '.join(f'{s} ({p})' for s, p in pids.items())} for {args.seconds} s",
              flush=True)
        spies = {
            service: subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--duration", str(args.seconds), "--rate", str(args.rate),
                 "--nonblocking", "--format", "raw", "-o", str(args.out / f"profile-{stamp}-{service}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
            for service, pid in pids.items()
        }
        for service, proc in spies.items():
            _, err = proc.communicate(timeout=args.seconds + 60)
            if proc.returncode:
                print(f"! py-spy {service}: {err.strip()[-300:]}", file=sys.stderr)
        assert bench.stdout is not None
        for line in bench.stdout:
            print(line, end="", flush=True)
        bench.wait()
    finally:
        if bench.poll() is None:
            bench.terminate()
            bench.wait(timeout=60)
    summaries = {
        service: summarise(path.read_text())
        for service in SERVICES
        if (path := args.out / f"profile-{stamp}-{service}.txt").exists()
    }
    report = table(summaries)
    (args.out / f"profile-{stamp}.md").write_text(report + "\n", encoding="utf-8")
    print(report)
    print(f"✓ profil: {args.out}/profile-{stamp}-*.txt (speedscope.app) dan / and profile-{stamp}.md")
    return bench.returncode or 0


if __name__ == "__main__":
    raise SystemExit(main())

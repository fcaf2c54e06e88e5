"""``make run``: the whole LAPOR! platform on one machine, with one command.

Slightly over ~300 lines: a supervisor and its command line; the infrastructure it starts is in
``platform_infra.py``.

Starts Kafka and PostgreSQL (embedded, unless LAPOR_KAFKA_BOOTSTRAP_SERVERS / LAPOR_DATABASE_URL say
where they are), provisions the topics, starts every service as its own process, waits until each is
ready, prints where everything is, restarts a service that dies, and on Ctrl-C / SIGTERM stops it all.

    uv run python -m tools.run_platform              # everything, until Ctrl-C
    uv run python -m tools.run_platform --no-services  # only Kafka + PostgreSQL
    uv run python -m tools.run_platform --once       # start, check readiness, stop (tests and CI)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from tools.platform_infra import Infra, is_ready, port_is_free, quiet_logging, reap_stale, say, shown, tail

ROOT = Path(__file__).resolve().parent.parent
SERVICES: dict[str, int] = {"intake": 8001, "routing": 8002, "followup": 8003, "notify": 8004, "dashboard": 8005,
                            "gateway": 8006, "console": 8007}
"""Every service of the platform (module ``lapor_<name>``) and its default HTTP port."""
DEFAULT_BOOTSTRAP = "127.0.0.1:19092"
SINKS_HTTP_PORT = 8025
"""The local mail/SMS/webhook sink (``python -m tools.sinks``); its SMTP server listens on 1025."""
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM while a blocking start-up step was running."""


@dataclass
class Service:
    name: str
    port: int
    log_path: Path
    pid_file: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready: bool = False
    backoff_s: float = 1.0
    restart_at: float | None = None
    restarts: int = 0
    command: list[str] | None = None
    """What to run; a service by default (``python -m lapor_<name>``)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command or [sys.executable, "-m", f"lapor_{self.name}"], env=self.env, cwd=ROOT,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.pid_file.write_text(str(self.proc.pid))
        self.started_at, self.ready, self.restart_at = time.monotonic(), False, None

    def send(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)  # its own session: reaches anything it started too


class Supervisor:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_dir: Path = args.run_dir.resolve()
        self.infra = Infra(self.run_dir, args.kafka_port)
        self.services: list[Service] = []
        self.stopping = threading.Event()
        self.interruptible = False
        self.signalled: str | None = None

    def on_signal(self, signum: int, _frame: object) -> None:
        if self.stopping.is_set():
            return  # already on the way down
        self.stopping.set()
        self.signalled = signal.Signals(signum).name
        if self.interruptible:
            raise Interrupted

    def run(self) -> int:
        self.interruptible = True
        self.infra.start()
        self.interruptible = False
        if self.stopping.is_set():
            return 0
        if self.args.no_services:
            self.print_env()
        else:
            if not self.start_services():
                return 0 if self.stopping.is_set() else 1
            self.print_table()
        if self.args.once:
            return 0
        self.watch()
        return 0

    def start_services(self) -> bool:
        assert self.infra.bootstrap and self.infra.database_url
        names = self.args.only.split(",") if self.args.only else list(SERVICES)
        gateway_port = int(os.environ.get("LAPOR_GATEWAY_PORT") or SERVICES["gateway"])
        for name in names:
            port = int(os.environ.get(f"LAPOR_{name.upper()}_PORT") or SERVICES[name])
            env = {
                **os.environ,
                # a developer's platform: development secrets and demo accounts unless told otherwise
                "LAPOR_ENVIRONMENT": os.environ.get("LAPOR_ENVIRONMENT") or "development",
                "LAPOR_KAFKA_BOOTSTRAP_SERVERS": self.infra.bootstrap,
                "LAPOR_DATABASE_URL": self.infra.database_url,
                "LAPOR_HTTP_PORT": str(port),
                "LAPOR_LOG_FORMAT": "json",
                # notify's links lead reporters to this gateway's tracking page
                "LAPOR_PUBLIC_BASE_URL": os.environ.get("LAPOR_PUBLIC_BASE_URL") or f"http://127.0.0.1:{gateway_port}",
                # evidence files (docs/evidence.md): the local store under the run directory; the dashboard's
                # links lead to the gateway's /bukti
                "LAPOR_EVIDENCE__LOCAL_DIR": (os.environ.get("LAPOR_EVIDENCE__LOCAL_DIR")
                                              or str(self.run_dir / "evidence")),
                "LAPOR_EVIDENCE__PUBLIC_BASE_URL": (os.environ.get("LAPOR_EVIDENCE__PUBLIC_BASE_URL")
                                                    or f"http://127.0.0.1:{gateway_port}"),
                # static membership: a service the supervisor restarts gets its partitions back at once
                "LAPOR_KAFKA_GROUP_INSTANCE_ID": f"{socket.gethostname()}-{os.getpid()}-{name}",
            }
            pid_file = self.run_dir / "pids" / f"{name}.pid"
            reap_stale(pid_file, f"lapor_{name}")
            self.services.append(Service(name, port, self.run_dir / "logs" / f"{name}.log", pid_file, env))
        if not self.args.only and not self.args.no_sinks:
            # where notify's e-mail, SMS and webhooks land on a development machine (see docs/notify.md)
            pid_file = self.run_dir / "pids" / "sinks.pid"
            reap_stale(pid_file, "tools.sinks")
            http_port = int(os.environ.get("LAPOR_SINKS_PORT") or SINKS_HTTP_PORT)
            smtp_port = os.environ.get("LAPOR_SINKS_SMTP_PORT") or "1025"
            self.services.append(Service(
                "sinks", http_port, self.run_dir / "logs" / "sinks.log", pid_file, dict(os.environ),
                command=[sys.executable, "-m", "tools.sinks", "--smtp-port", smtp_port,
                         "--http-port", str(http_port), "--webhook-secret", "umum.18.71=demo-secret-umum.18.71"],
            ))
        busy = [s for s in self.services if not port_is_free(s.port)]
        for s in busy:
            say(f"Port {s.port} untuk {s.name} sudah dipakai", f"port {s.port} for {s.name} is in use "
                f"(set LAPOR_{s.name.upper()}_PORT)", mark="✗")
        if busy:
            return False
        for s in self.services:
            s.log_path.write_bytes(b"")  # a fresh log per run; restarts within this run append
            say(f"Menyalakan {s.name} di port {s.port} …", f"starting {s.name}", mark="→")
            s.spawn()
        return self.wait_ready()

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_S
        pending = list(self.services)
        while pending and not self.stopping.is_set():
            for s in list(pending):
                assert s.proc is not None
                if s.proc.poll() is not None:
                    return self.failed(s, f"berhenti dengan kode {s.proc.returncode}",
                                       f"exited with code {s.proc.returncode} before it was ready")
                if is_ready(s.port, timeout=1.0):
                    s.ready = True
                    pending.remove(s)
                    say(f"{s.name} siap", f"ready ({s.url}/readyz, pid {s.proc.pid})", mark="✓")
            if pending and time.monotonic() > deadline:
                return self.failed(pending[0], f"tidak siap dalam {READY_TIMEOUT_S:.0f} dtk",
                                   f"not ready within {READY_TIMEOUT_S:.0f} s "
                                   f"(also waiting for: {', '.join(p.name for p in pending[1:]) or '-'})")
            self.stopping.wait(0.3)
        return not self.stopping.is_set()

    def failed(self, s: Service, why_id: str, why_en: str) -> bool:
        say(f"{s.name} {why_id}", f"{s.name} {why_en}", mark="✗")
        print(f"  Akhir log / tail of {shown(s.log_path)}:\n{tail(s.log_path)}", flush=True)
        return False

    def print_env(self) -> None:
        say("Infrastruktur jalan; layanan tidak dinyalakan (--no-services)", "infrastructure only", mark="✓")
        print(f"\n  export LAPOR_KAFKA_BOOTSTRAP_SERVERS='{self.infra.bootstrap}'")
        print(f"  export LAPOR_DATABASE_URL='{self.infra.database_url}'\n", flush=True)
        if not self.args.once:
            print("  Ctrl-C menghentikan semuanya / stops everything\n", flush=True)

    def print_table(self) -> None:
        rows = [("Layanan / Service", "PID", "URL", "Log")]
        rows += [(s.name, str(s.proc.pid if s.proc else "-"), s.url, shown(s.log_path))
                 for s in self.services]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        print("\n  Platform LAPOR! berjalan / is running\n")
        for i, row in enumerate(rows):
            print("  " + "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if i == 0:
                print("  " + "   ".join("-" * w for w in widths))
        kafka = ""
        if self.infra.kafka is not None:
            kafka = f"  (Tansu, pid {self.infra.kafka_pid}, log {shown(self.infra.kafka_log)})"
        print(f"\n  Kafka bootstrap : {self.infra.bootstrap}{kafka}")
        print(f"  Database URL    : {self.infra.database_url}")
        prefix = "" if self.infra.bootstrap == DEFAULT_BOOTSTRAP else \
            f"LAPOR_KAFKA_BOOTSTRAP_SERVERS={self.infra.bootstrap} "
        print(f"\n  Coba / try it   : {prefix}make publish-sample   (kirim laporan contoh / publish samples)")
        gateway = next((s for s in self.services if s.name == "gateway"), None)
        if gateway is not None:
            print(f"  Lapor / file a complaint : {gateway.url}/lapor   (API, Open311, SMS: docs/adapters.md)")
            print(f"  Lacak / follow it        : {gateway.url}/lacak   (nomor + kunci pelapor / number + key)")
        dashboard = next((s for s in self.services if s.name == "dashboard"), None)
        if dashboard is not None:
            from lapor_dashboard.settings import DEMO_PASSWORD

            print(f"  Dasbor / dashboard : {dashboard.url}/")
            if os.environ.get("LAPOR_DEMO_USERS", "true").lower() not in ("false", "0", "no"):
                password = os.environ.get("LAPOR_DEMO_PASSWORD") or DEMO_PASSWORD
                print(f"  Masuk / log in     : lampung / {password}   (Provinsi Lampung; juga / also "
                      f"bandarlampung, nasional)")
        console = next((s for s in self.services if s.name == "console"), None)
        if console is not None:
            from lapor_console.settings import DEMO_OFFICERS
            from lapor_console.settings import DEMO_PASSWORD as CONSOLE_PASSWORD

            print(f"  Konsol petugas / officer console : {console.url}/")
            if os.environ.get("LAPOR_DEMO_USERS", "true").lower() not in ("false", "0", "no"):
                password = os.environ.get("LAPOR_DEMO_PASSWORD") or CONSOLE_PASSWORD
                for username, agency_id, role, _ in DEMO_OFFICERS:
                    print(f"    Masuk / log in : {username} / {password}   ({agency_id}, {role})")
        sinks = next((s for s in self.services if s.name == "sinks"), None)
        if sinks is not None:
            print(f"  Surel & SMS / mail & SMS sink : {sinks.url}/   (SMTP, notify's default: 127.0.0.1:1025)")
        if not self.args.once:
            print("  Ctrl-C menghentikan semuanya / stops everything")
        print(flush=True)

    def watch(self) -> None:
        """Keep every service running until asked to stop; a national platform stays up."""
        while not self.stopping.wait(0.5):
            self.infra.revive_kafka()
            now = time.monotonic()
            for s in self.services:
                if s.proc is not None and s.proc.poll() is not None:
                    if now - s.started_at > STABLE_AFTER_S:
                        s.backoff_s = 1.0
                    say(f"{s.name} berhenti tak terduga (kode {s.proc.returncode}); "
                        f"dinyalakan ulang dalam {s.backoff_s:.0f} dtk",
                        f"{s.name} died; restarting in {s.backoff_s:.0f} s", mark="!")
                    print(tail(s.log_path, 8), flush=True)
                    s.proc, s.restart_at = None, now + s.backoff_s
                    s.backoff_s = min(s.backoff_s * 2, MAX_BACKOFF_S)
                elif s.proc is None and s.restart_at is not None and now >= s.restart_at:
                    s.spawn()
                    s.restarts += 1
                    say(f"{s.name} dinyalakan ulang (ke-{s.restarts})", f"{s.name} restarted", mark="→")
                elif s.proc is not None and not s.ready and is_ready(s.port, timeout=1.0):
                    s.ready = True
                    say(f"{s.name} siap lagi", f"{s.name} ready again (pid {s.proc.pid})", mark="✓")

    def stop_services(self) -> None:
        running = [s for s in self.services if s.proc is not None and s.proc.poll() is None]
        if running:
            say("Menghentikan layanan …", "stopping services", mark="→")
        for s in running:
            s.send(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for s in running:
            assert s.proc is not None
            try:
                s.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{s.name} tidak berhenti dalam {STOP_TIMEOUT_S:.0f} dtk, dipaksa (SIGKILL)",
                    f"{s.name} killed", mark="!")
                s.send(signal.SIGKILL)
                s.proc.wait()
        for s in self.services:
            s.pid_file.unlink(missing_ok=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Jalankan platform LAPOR! / run the LAPOR! platform locally.")
    p.add_argument("--no-services", action="store_true", help="only Kafka + PostgreSQL; print the env vars")
    p.add_argument("--once", action="store_true", help="start, wait until ready, print the table, stop")
    p.add_argument("--kafka-port", type=int, default=19092, help="port of the embedded Kafka (default 19092)")
    p.add_argument("--run-dir", type=Path, default=ROOT / ".run", help="data, logs and pids (default .run/)")
    p.add_argument("--only", metavar="SVC[,SVC]", help=f"start only these (of {','.join(SERVICES)})")
    p.add_argument("--no-sinks", action="store_true", help="do not start the local mail/SMS/webhook sink")
    args = p.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SERVICES) if args.only else set()
    if unknown:
        p.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True, errors="backslashreplace")
    quiet_logging()
    sup = Supervisor(args)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, sup.on_signal)
    code = 1
    try:
        code = sup.run()
    except Interrupted:
        code = 0
    except SystemExit as exc:  # a start-up problem already explained in its message
        print(exc, file=sys.stderr, flush=True)
        code = 1
    except Exception as exc:
        traceback.print_exc()
        say(f"Gagal menyalakan platform: {exc!r}", "the platform could not start (see above)", mark="✗")
        code = 1
    finally:
        if sup.signalled:
            say(f"{sup.signalled} diterima, platform dihentikan …", "stopping the platform", mark="→")
        sup.stopping.set()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # the way down is bounded; let it finish
        sup.stop_services()
        sup.infra.stop()
        say("Semua berhenti", "everything stopped", mark="✓")
    return code


if __name__ == "__main__":
    sys.exit(main())

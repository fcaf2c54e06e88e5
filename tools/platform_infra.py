"""Helpers of ``tools/run_platform.py``: the infrastructure (embedded or given) and small utilities.

Kafka and PostgreSQL come from the environment (``LAPOR_KAFKA_BOOTSTRAP_SERVERS`` /
``KAFKA_BOOTSTRAP_SERVERS``, ``LAPOR_DATABASE_URL`` / ``DATABASE_URL``) when set; otherwise the embedded
pair from ``lapor_shared.infra`` is started with its data and logs under the run folder (``.run/``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import tempfile
import time
import urllib.request
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from lapor_shared import event_loop
from lapor_shared.infra import EmbeddedKafka, EmbeddedPostgres, wait_for_kafka
from lapor_shared.kafka import provision_topics
from lapor_shared.logging import configure_logging
from lapor_shared.settings import ServiceSettings
from lapor_shared.testing.infra import Infrastructure, start_infrastructure
from lapor_shared.topics import all_topics

T = TypeVar("T")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def say(text_id: str, text_en: str = "", *, mark: str = "•") -> None:
    """One progress line: Bahasa Indonesia first, English after the slash."""
    print(f"{mark} {text_id}" + (f" / {text_en}" if text_en else ""), flush=True)


def quiet_logging() -> None:
    """The supervisor speaks in progress lines; library logs only when something is wrong."""
    configure_logging("platform", fmt="console", level="WARNING")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # refused connections while Kafka boots


def on_a_tansu_alone(work: Callable[[EmbeddedKafka], Coroutine[Any, Any, T]]) -> T:
    """Quiet logs, a Tansu broker of its own, ``work`` run on it (on the services' event loop), the broker
    stopped whatever happens: what the tools that measure the embedded broker alone start from."""
    quiet_logging()
    say("menyalakan Tansu sendirian", "starting a Tansu alone")
    kafka = EmbeddedKafka().start()
    try:
        return event_loop.run(work(kafka))
    finally:
        kafka.stop()


def measuring_infrastructure(prefix: str) -> tuple[Infrastructure, Path]:
    """What every measuring tool starts from: quiet logs, a throw-away work folder (``prefix``…) and the
    test infrastructure's ladder (configured URLs, containers, else the embedded pair), said as it starts."""
    quiet_logging()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    say("menyalakan Kafka dan PostgreSQL tertanam", "starting the embedded Kafka and PostgreSQL")
    return start_infrastructure(work), work


def env_first(*names: str) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def shown(path: Path) -> str:
    """A path relative to the working folder when it lies below it (shorter in tables)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def is_ready(port: int, timeout: float = 2.0) -> bool:
    """``GET /readyz`` answers 200 (never through an HTTP proxy)."""
    try:
        with _NO_PROXY.open(f"http://127.0.0.1:{port}/readyz", timeout=timeout) as response:
            return response.status == 200
    except Exception:
        return False


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"    ({shown(path)} tidak ada / does not exist)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:]) or "    (log kosong / empty log)"


def reap_stale(pid_file: Path, marker: str) -> None:
    """Stop a process a crashed earlier run left behind (its pid in ``pid_file``, ``marker`` in its
    command line), so that its port is free again. Anything else with that pid is left alone."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return
    if marker in cmdline:
        say(f"Menghentikan sisa proses lama {marker} (pid {pid})", f"stopping a leftover {marker}", mark="!")
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


class Infra:
    """Kafka and PostgreSQL for the platform. Attributes are set before each start so that ``stop``
    also cleans up after a start that was interrupted half-way."""

    def __init__(self, run_dir: Path, kafka_port: int) -> None:
        self.run_dir = run_dir
        self.kafka_port = kafka_port
        self.kafka_log = run_dir / "logs" / "kafka.log"
        self.kafka_pid_file = run_dir / "pids" / "kafka.pid"
        self.bootstrap = env_first("LAPOR_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS")
        self.database_url = env_first("LAPOR_DATABASE_URL", "DATABASE_URL")
        self.kafka: EmbeddedKafka | None = None
        self.postgres: EmbeddedPostgres | None = None

    def start(self) -> None:
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        (self.run_dir / "pids").mkdir(parents=True, exist_ok=True)
        if self.bootstrap is None:
            self._start_kafka()
        else:
            say(f"Memakai Kafka yang sudah ada di {self.bootstrap} …", "using the given Kafka")
            asyncio.run(wait_for_kafka(self.bootstrap, timeout=30.0))
            say("Kafka menjawab", "Kafka answers", mark="✓")
        if self.database_url is None:
            say("Menyalakan PostgreSQL (embedded) …", "starting PostgreSQL", mark="→")
            began = time.monotonic()
            data = self.run_dir / "postgres"
            if data.exists() and not (data / "PG_VERSION").exists():
                shutil.rmtree(data)  # an initdb that was interrupted; initdb refuses a non-empty folder
            self.postgres = EmbeddedPostgres(data)
            self.postgres.start()
            self.database_url = self.postgres.url
            say(f"PostgreSQL siap ({time.monotonic() - began:.1f} dtk)", "PostgreSQL ready", mark="✓")
        else:
            say("Memakai PostgreSQL dari LAPOR_DATABASE_URL", "using the given PostgreSQL", mark="✓")
        self.provision()

    def _start_kafka(self) -> None:
        reap_stale(self.kafka_pid_file, "tansu")
        self.bootstrap = f"127.0.0.1:{self.kafka_port}"
        if not port_is_free(self.kafka_port):
            raise SystemExit(
                f"✗ Port {self.kafka_port} sudah dipakai (platform lain masih jalan?) / port already in use: "
                "stop the other process, or use --kafka-port or LAPOR_KAFKA_BOOTSTRAP_SERVERS"
            )
        say(f"Menyalakan Kafka (Tansu) di {self.bootstrap} …", "starting Kafka", mark="→")
        began = time.monotonic()
        self.kafka = EmbeddedKafka(port=self.kafka_port, log_path=self.kafka_log)
        try:
            self.kafka.start()
        finally:
            if self.kafka.process is not None:
                self.kafka_pid_file.write_text(str(self.kafka.process.pid))
        say(f"Kafka siap ({time.monotonic() - began:.1f} dtk)", "Kafka ready", mark="✓")

    def provision(self) -> None:
        assert self.bootstrap is not None
        say("Membuat topik Kafka …", "provisioning topics", mark="→")
        settings = ServiceSettings(service_name="provisioner")  # an outside Kafka's security and replication
        outside = self.kafka is None
        created = asyncio.run(provision_topics(
            self.bootstrap, replication_factor=settings.kafka_replication_factor if outside else 1,
            client_options=settings.kafka.client_options() if outside else None,
        ))
        say(f"{created} topik baru, {len(all_topics())} seluruhnya", f"{created} topics created", mark="✓")

    @property
    def kafka_pid(self) -> int | None:
        return self.kafka.process.pid if self.kafka is not None and self.kafka.process is not None else None

    def revive_kafka(self) -> None:
        """Restart an embedded broker that died (it kept everything in memory: topics are made anew)."""
        if self.kafka is None or self.kafka.process is None or self.kafka.process.poll() is None:
            return
        code = self.kafka.process.returncode
        say(f"Kafka berhenti tak terduga (kode {code}); dinyalakan ulang, pesan lama hilang",
            "Kafka died; restarting it (its in-memory messages are lost)", mark="!")
        self.kafka.process = None
        self.kafka.start()
        self.kafka_pid_file.write_text(str(self.kafka_pid))
        self.provision()

    def stop(self) -> None:
        if self.kafka is not None:
            say("Menghentikan Kafka …", "stopping Kafka", mark="→")
            self.kafka.stop()
            self.kafka_pid_file.unlink(missing_ok=True)
            self.kafka = None
        if self.postgres is not None:
            say("Menghentikan PostgreSQL …", "stopping PostgreSQL", mark="→")
            self.postgres.stop()
            self.postgres = None

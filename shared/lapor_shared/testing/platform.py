"""Every service as a separate process, for end-to-end and fault tests (and ``make chaos``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lapor_shared.infra import free_port
from lapor_shared.testing.kafka_io import QUICK_SESSION

SERVICES = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")

QUICK_GROUP_SETTINGS = {f"kafka_{option}": value for option, value in QUICK_SESSION.items()}
"""Consumer groups that form in a second on the embedded broker, for tests that never restart a service.

Tansu holds a new member's first JoinGroup for half its session timeout (3 s with the services' 6 s), and a
static member's JoinGroup and SyncGroup for 3 s each whatever the timeout: a platform with static membership
was ready 6 s after its processes had started. Measured with one aiokafka consumer: 5.0 s with aiokafka's
defaults, 3.0 s with 6 s sessions, 6.0 s static, 1.0 s with a 2 s session. A restarted service (``make
chaos``) needs its static membership to get its partitions back, so this is a choice (``Platform.quick_groups``).
A service a test builds in its own process takes them as settings (``IntakeSettings(..., **QUICK_GROUP_SETTINGS)``).
"""
QUICK_GROUPS = {f"LAPOR_{setting.upper()}": str(value) for setting, value in QUICK_GROUP_SETTINGS.items()}
"""The same as the environment of a service process (``LAPOR_KAFKA_SESSION_TIMEOUT_MS`` …)."""


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log_path: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"lapor_{self.name}"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as response:
                status: int = response.status
                return status == 200
        except OSError:
            return False

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.tail()}")
            if self.ready():
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout}s: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no goodbye, no commit, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self, timeout: float = 12.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Platform:
    bootstrap_servers: str
    database_url: str
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per service, over ``extra_env`` (``tools.bench_statements`` gives each its own database role)."""
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    quick_groups: bool = False
    """Short group sessions and no static membership (``QUICK_GROUPS``): ready about 5 s sooner, for a platform
    whose services are never restarted; ``make run``, ``make chaos`` and the benchmarks keep the services'
    own."""

    @property
    def evidence_dir(self) -> Path:
        return self.log_dir.parent / "evidence"

    def start(self, names: tuple[str, ...] = SERVICES, timeout: float = 60.0) -> Platform:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        ports = {name: free_port() for name in names}
        gateway = {"LAPOR_EVIDENCE__PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['gateway']}"} \
            if "gateway" in ports else {}
        for name in names:
            port = ports[name]
            env = {
                **os.environ,
                "LAPOR_ENVIRONMENT": "development",  # development secrets and demo accounts are allowed here
                "LAPOR_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                "LAPOR_DATABASE_URL": self.database_url,
                "LAPOR_HTTP_PORT": str(port),
                "LAPOR_LOG_FORMAT": "json",
                **(QUICK_GROUPS if self.quick_groups else {
                    # static membership, one process per service: a restarted one gets its partitions back at once
                    "LAPOR_KAFKA_GROUP_INSTANCE_ID": f"{socket.gethostname()}-{os.getpid()}-{name}",
                }),
                # evidence files beside the logs (the gateway's store; the dashboard signs links to it)
                "LAPOR_EVIDENCE__LOCAL_DIR": str(self.evidence_dir),
                **gateway,  # the console's and the dashboard's links lead to the gateway's /bukti, as in `make run`
                **self.extra_env,  # a test may override any of these
                **self.service_env.get(name, {}),
            }
            self.services[name] = ServiceProcess(name, env, self.log_dir / f"{name}.log", port)
            self.services[name].start()
        for name in names:
            self.services[name].wait_ready(timeout)
        return self

    def restart(self, name: str, timeout: float = 60.0) -> None:
        service = self.services[name]
        service.start()
        service.wait_ready(timeout)

    def stop(self) -> dict[str, int | None]:
        """SIGTERM to all at once, then wait for each (a graceful stop takes a few seconds)."""
        for service in self.services.values():
            if service.process is not None and service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        return {name: service.terminate() for name, service in self.services.items()}

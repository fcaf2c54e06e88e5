"""``make run`` works on this machine: the supervisor starts the embedded Kafka and PostgreSQL and all
services, sees each one ready, and stops everything cleanly (``run_platform.py --once``).

It runs on its own free ports and run folder, so a developer's running platform is not disturbed. The run
folder is a private temporary folder, not pytest's ``tmp_path``: as root, embedded PostgreSQL runs as
another user that must traverse the folder's parents, and every pytest session that starts on the machine
resets ``/tmp/pytest-of-root`` to mode 0700 (and may prune old session folders) while we run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lapor_shared.infra import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console", "sinks")
RUN_TIMEOUT_S = 150


@pytest.fixture
def run_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lapor-make-run-"))
    try:
        yield path / "run"
    finally:
        shutil.rmtree(path, ignore_errors=True)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.e2e
@pytest.mark.timeout(180)
def test_run_platform_once_starts_everything_and_stops_cleanly(run_dir: Path) -> None:
    kafka_port = free_port()
    ports = {name: free_port() for name in SERVICES}
    given = {"LAPOR_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS", "LAPOR_DATABASE_URL", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in given}  # embedded infra, as on a fresh machine
    env.update({f"LAPOR_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["LAPOR_SINKS_SMTP_PORT"] = str(free_port())
    env["PYTHONUNBUFFERED"] = "1"

    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.run_platform", "--once", "--kafka-port", str(kafka_port),
         "--run-dir", str(run_dir)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # let the supervisor stop what it started
        try:
            output, _ = proc.communicate(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        pytest.fail(f"run_platform.py --once did not finish within {RUN_TIMEOUT_S} s:\n{output}")

    print(output)
    assert proc.returncode == 0, output
    for name, port in ports.items():
        assert f"✓ {name} siap / ready (http://127.0.0.1:{port}/readyz" in output, output
    assert f"Kafka bootstrap : 127.0.0.1:{kafka_port}" in output
    assert f"http://127.0.0.1:{ports['gateway']}/lapor" in output  # where to file a complaint
    assert f"http://127.0.0.1:{ports['console']}/" in output and "petugas.bdl / " in output  # the officer console
    assert "✓ Semua berhenti / everything stopped" in output
    still_listening = [p for p in (kafka_port, *ports.values()) if listening(p)]
    assert not still_listening, f"ports still served after the supervisor stopped: {still_listening}"

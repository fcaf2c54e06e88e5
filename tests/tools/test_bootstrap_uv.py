"""The first command on a fresh Debian or Ubuntu machine: ``make setup`` with the distribution's own
``python3``, which refuses ``pip install`` into the system (PEP 668) and may have no pip at all."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")
UV_VERSION = next(line.split(":=")[1].strip() for line in (ROOT / "Makefile").read_text().splitlines()
                  if line.startswith("UV_VERSION"))

needs_system_python = pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="no distribution python3 here")


def bootstrap(dest: Path, *extra: str) -> Path:
    done = subprocess.run([str(SYSTEM_PYTHON), "-m", "tools.bootstrap_uv", UV_VERSION, "--dest", str(dest), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return Path(done.stdout.strip())


@needs_system_python
def test_uv_is_installed_beside_the_project_even_where_pip_may_not_touch_the_system(tmp_path):
    uv = bootstrap(tmp_path / "uv")

    assert uv == tmp_path / "uv" / "bin" / "uv"
    assert subprocess.run([str(uv), "--version"], capture_output=True, text=True).stdout.split()[1] == UV_VERSION


@needs_system_python
def test_without_pip_uv_comes_from_pypi_checked_against_its_published_hash(tmp_path):
    uv = bootstrap(tmp_path / "uv", "--no-pip")

    assert subprocess.run([str(uv), "--version"], capture_output=True, text=True).stdout.split()[1] == UV_VERSION


@needs_system_python
def test_make_setup_works_with_the_distribution_python_and_no_uv_on_the_path(tmp_path):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    checkout = tmp_path / "checkout"
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    # this machine as it is (its certificates, its proxies), but with no uv and no virtual environment in reach
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV", "PYTHONPATH")}
    env["PATH"] = "/usr/bin:/bin"
    assert shutil.which("uv", path=env["PATH"]) is None, "the test needs a PATH without uv"

    subprocess.run(["make", "setup", f"PYTHON={SYSTEM_PYTHON}"], cwd=checkout, env=env, check=True, timeout=540)

    assert (checkout / ".tools" / "uv" / "bin" / "uv").exists()
    venv_python = checkout / ".venv" / "bin" / "python"
    assert subprocess.run([str(venv_python), "-c", "import lapor_shared, lapor_routing"], check=False).returncode == 0

"""The call-centre import as a command: ``python -m lapor_gateway.call_centre``."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]


def test_the_import_runs_as_a_module_of_the_gateway_and_explains_itself():
    done = subprocess.run([sys.executable, "-m", "lapor_gateway.call_centre", "--help"], capture_output=True,
                          text=True, timeout=50)

    assert done.returncode == 0, done.stderr
    assert "python -m lapor_gateway.call_centre" in done.stdout
    assert "--source" in done.stdout and "--max-bytes" in done.stdout


def test_a_file_that_is_not_there_is_exit_status_2_before_any_connection(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lapor_gateway.call_centre", str(tmp_path / "tidak_ada.csv"),
                           "--bootstrap", "127.0.0.1:1"], capture_output=True, text=True, timeout=50)

    assert done.returncode == 2
    assert "galat / error" in done.stderr

"""Generated files: written when they changed, and with --check only named, never touched."""

from __future__ import annotations

import pytest

from lapor_shared.generated import generator_main

pytestmark = pytest.mark.unit


def test_check_names_a_stale_file_without_writing_and_a_run_writes_it_then_check_passes(tmp_path, capsys):
    fresh, stale = tmp_path / "fresh.yaml", tmp_path / "sub" / "stale.yaml"
    fresh.write_text("same\n", encoding="utf-8")
    outputs = {fresh: "same\n", stale: "new\n"}

    checked = generator_main("test", lambda: outputs, tmp_path, ["--check"])
    assert (checked, stale.exists()) == (1, False)
    assert capsys.readouterr().out == "sub/stale.yaml: out of date\n"

    assert generator_main("test", lambda: outputs, tmp_path, []) == 0
    assert stale.read_text(encoding="utf-8") == "new\n"
    assert capsys.readouterr().out == "sub/stale.yaml: written\n"
    assert generator_main("test", lambda: outputs, tmp_path, ["--check"]) == 0

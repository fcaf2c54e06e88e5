"""The short chaos run of ``make chaos``: complaints flow while every service is SIGKILLed once and
PostgreSQL restarts; then a rolling restart (SIGTERM, new process) of every service. Nothing may be
lost or done twice."""

from __future__ import annotations

import sys
from argparse import Namespace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from chaos import run, verdict  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.timeout(600)]


def short_run(**overrides) -> Namespace:
    options = dict(complaints=300, rate=60.0, kills=1, postgres_restart=True, graceful=False, seed=7,
                   timeout=300.0)  # the wait ends as soon as all are complete; slack for a loaded CI machine
    options.update(overrides)
    return Namespace(**options)


async def test_killing_every_service_and_restarting_postgres_loses_nothing_and_repeats_nothing(
    infra, kafka_bootstrap, tmp_path
):
    result = await run(short_run(), infra, tmp_path, kafka_bootstrap)

    assert verdict(result) == [], result
    assert result["complaints"] > 250
    assert {r["victim"] for r in result["recoveries"]} >= {"intake", "routing", "followup", "notify"}


async def test_a_rolling_restart_of_every_service_stops_each_within_ten_seconds_and_loses_nothing(
    infra, kafka_bootstrap, tmp_path
):
    result = await run(short_run(graceful=True, postgres_restart=False, seed=8), infra, tmp_path, kafka_bootstrap)

    assert verdict(result) == [], result
    assert all(r["stopped_in_s"] is not None and r["stopped_in_s"] <= 10 for r in result["recoveries"])

"""The short chaos run of ``make chaos``: complaints flow while every service is SIGKILLed once and
PostgreSQL restarts; then a rolling restart (SIGTERM, new process) of every service. Nothing may be
lost or done twice, and every planned notification must reach its sink (mail, SMS, webhook) or the
in-app inbox exactly once, promptly: whatever was in flight at a kill is done soon after the service
is ready again."""

from __future__ import annotations

from argparse import Namespace

import pytest

from tools.chaos import run, verdict

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.timeout(600)]


MAX_DELAY_S = 120.0
"""p99 from event to delivery around the kills, on a machine that other test runs may share (``make chaos``,
run alone, holds it to 25 s); a message stranded by a kill shows as missing, however long the run waits."""
MAX_RECOVERY_S = 25.0
"""What was in flight at a kill is done this soon after the service is ready again."""


def short_run(**overrides) -> Namespace:
    options = dict(complaints=300, rate=20.0, kills=1, postgres_restart=True, graceful=False, seed=7,
                   timeout=300.0)  # the wait ends as soon as all are complete; slack for a loaded CI machine
    options.update(overrides)
    return Namespace(**options)


async def test_killing_every_service_and_restarting_postgres_loses_nothing_and_repeats_nothing(
    infra, kafka_bootstrap, tmp_path
):
    result = await run(short_run(), infra, tmp_path, kafka_bootstrap)

    assert verdict(result, max_delay_s=MAX_DELAY_S, max_recovery_s=MAX_RECOVERY_S) == [], result
    assert result["complaints"] > 250
    assert {r["victim"] for r in result["recoveries"]} >= {"intake", "routing", "followup", "notify"}
    by_kind = {row["kind"]: row for row in result["effects"]}
    for kind in ("complaint_accepted.reporter/email", "complaint_accepted.reporter/sms",
                 "complaint_accepted.reporter/inbox", "complaint_routed.reporter/email",
                 "complaint_routed.officer/email", "complaint_deadline_warning.officer/email"):
        assert by_kind[kind]["planned"] > 0 and by_kind[kind]["delivered"] == by_kind[kind]["planned"], kind
    killed = {r["victim"]: r for r in result["recoveries"]}
    assert killed["followup"]["in_flight"] > 0, "timers were due at the kill"
    assert killed["followup"]["in_flight_done_after_ready_s"] is not None


async def test_a_rolling_restart_of_every_service_stops_each_within_ten_seconds_and_loses_nothing(
    infra, kafka_bootstrap, tmp_path
):
    result = await run(short_run(graceful=True, postgres_restart=False, seed=8), infra, tmp_path, kafka_bootstrap)

    assert verdict(result, max_delay_s=MAX_DELAY_S, max_recovery_s=MAX_RECOVERY_S) == [], result
    assert all(r["stopped_in_s"] is not None and r["stopped_in_s"] <= 10 for r in result["recoveries"])

"""``make bench-history`` keeps working: it seeds real schemas, times the real look-ups and judges growth."""

from __future__ import annotations

import pytest

from tools.bench_history import grown, run

pytestmark = pytest.mark.integration


async def test_a_small_history_is_seeded_and_every_look_up_is_timed(database_url):
    results = await run(database_url, [0, 3000], runs=5)

    assert [row["history"] for row in results] == [0, 3000]
    for row in results:
        timings = {k: v for k, v in row.items() if k.endswith("_ms")}
        assert set(timings) == {"followup_due_timer_round_ms", "intake_admission_checks_ms",
                                "intake_admission_run_each_ms", "intake_accept_insert_ms"}
        assert all(v > 0 for v in timings.values())


def test_a_look_up_that_grows_with_history_fails_the_run_and_noise_below_a_millisecond_does_not():
    flat = [{"history": 0, "x_ms": 0.2}, {"history": 1_000_000, "x_ms": 0.5}]
    slow = [{"history": 0, "x_ms": 2.0}, {"history": 1_000_000, "x_ms": 9.0}]

    assert grown(flat, 3.0) == []
    assert grown(slow, 3.0) == ["x_ms: 2.0 ms with 0 → 9.0 ms with 1,000,000 stored"]

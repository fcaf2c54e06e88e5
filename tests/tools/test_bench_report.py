"""``make bench`` says how much CPU each process spent per complaint in each phase, from its own samples."""

from __future__ import annotations

import pytest

from tools.bench_report import ResourceSampler

pytestmark = pytest.mark.unit


def _sampler(samples: dict[str, list[tuple[float, float, float]]]) -> ResourceSampler:
    sampler = ResourceSampler.__new__(ResourceSampler)  # no processes to watch: the samples are given
    sampler.interval = 0.5
    sampler.samples = samples
    return sampler


def test_a_phases_cpu_seconds_are_the_samples_inside_it_times_the_interval():
    sampler = _sampler({
        "notify": [(10.0, 100.0, 0), (10.5, 80.0, 0), (11.0, 60.0, 0), (11.5, 40.0, 0)],
        "kafka": [(10.0, 20.0, 0), (10.5, 20.0, 0), (11.0, 20.0, 0), (11.5, 20.0, 0)],
    })

    # the samples at 10.5 and 11.0 cover 10.0–11.0: 80 % and 60 % of a core, each over the half second before it
    assert sampler.cpu_seconds(10.0, 11.0) == {"notify": pytest.approx(0.7), "kafka": pytest.approx(0.2)}
    assert sampler.cpu_seconds(12.0, 13.0) == {"notify": 0.0, "kafka": 0.0}

"""``make bench`` says how much CPU each process spent per complaint in each phase, from its own samples."""

from __future__ import annotations

import pytest

from tools.bench_report import Collector, ResourceSampler, Trace, by_third, summarise

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


def test_a_soak_cut_in_thirds_shows_each_thirds_tail_and_what_the_broker_spent_per_complaint_in_it():
    collector = Collector("unused:9092")
    # complaints submitted at 0, 1, …, 8 s; each took 0.1 s end to end, except the last third's, 2 s
    for i in range(9):
        took = 0.1 if i < 6 else 2.0
        collector.traces[str(i)] = Trace(submitted=float(i), accepted=i + 0.01, routed=i + 0.02,
                                         deadline_set=i + 0.03, notified=i + took)
    sampler = _sampler({"kafka": [(at / 2, 20.0 if at < 12 else 60.0, 0) for at in range(1, 17)]})

    thirds = by_third(collector, set(collector.traces), sampler)

    assert thirds["submitted"] == [3, 3, 3]
    assert thirds["e2e_p99_ms"] == [pytest.approx(100), pytest.approx(100), pytest.approx(2000)]
    # thirds of 0–8 s: (0, 2.67], (2.67, 5.33], (5.33, 8]; 20 % of a core, then 60 % from 6 s on
    first, second, last = thirds["cpu_ms_per_complaint"]["kafka"]
    assert (first, second) == (pytest.approx(1000 * 0.5 * 0.2 * 5 / 3, abs=0.01),
                               pytest.approx(1000 * 0.5 * 0.2 * 5 / 3, abs=0.01))
    assert last > 2 * second


def test_a_phase_second_by_second_shows_when_its_tail_came_and_at_which_hop():
    collector = Collector("unused:9092")
    # two complaints a second for three seconds; in the second second one waited 900 ms at routing
    for i in range(6):
        at = i / 2
        routing = 0.9 if i == 3 else 0.01
        collector.traces[str(i)] = Trace(submitted=at, accepted=at + 0.01, routed=at + 0.01 + routing,
                                         deadline_set=at + 0.03 + routing, notified=at + 0.05 + routing)

    seconds = summarise(collector, set(collector.traces))["by_second"]

    assert [s["second"] for s in seconds] == [0, 1, 2]
    assert [s["submitted"] for s in seconds] == [2, 2, 2]
    assert seconds[1]["p99_ms"] == pytest.approx(950)
    assert seconds[1]["slowest_hop"] == "routing"
    assert seconds[1]["slowest_hop_ms"] == pytest.approx(900)
    assert seconds[0]["p99_ms"] == pytest.approx(60)


def test_the_collector_pauses_between_reads_once_caught_up_and_reads_on_at_once_while_behind():
    collector = Collector("unused:9092", pause_s=0.5)

    assert collector.pause_after(12) == 0.5  # caught up: the broker is asked again in half a second
    assert collector.pause_after(Collector.MAX_RECORDS) == 0.0  # a full read: behind, read on
    assert collector.pause_after(0) == 0.0  # nothing came: the next read waits for the broker anyway

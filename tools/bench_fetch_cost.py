"""``python -m tools.bench_fetch_cost``: what a busy subscription costs while it finds nothing (issue 17).

A subscription that has read a record in the last few seconds keeps the busy pace
(``lapor_shared.fetch_pace``): the broker may hold its fetch 20 ms, and its poll wakes when the poll's
timeout ends. At a light load every hop of the pipeline is busy that way and finds nothing most of the
time, so this is what a light load costs beyond its work. On an embedded Tansu alone, with no records at
all, the tool runs a few layouts of plain aiokafka consumers, each one consumer group and one fetch loop,
and measures the broker's CPU and this process's (the clients') over ``--seconds``:

- topics of 6 partitions against topics of 1 (what a fetch costs per partition it names);
- one loop reading two topics against two loops reading one each (what merging subscriptions would save);
- a poll timeout of 10 ms against 100 ms (``LAPOR_DELIVERY__BATCH_TIMEOUT_MS``).

Each layout runs ``--rounds`` times, in turn, so that the machine's drift falls on all of them alike.

    uv run python -m tools.bench_fetch_cost [--seconds 12] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass

import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from lapor_shared.infra import EmbeddedKafka
from tools.platform_infra import on_a_tansu_alone, say

SIX_A, SIX_B, ONE = "cost.six-a", "cost.six-b", "cost.one"


@dataclass(frozen=True)
class Layout:
    name: str
    loops: tuple[tuple[str, ...], ...]
    """The topics of each consumer (one group, one fetch loop each)."""
    poll_ms: int = 10
    fetch_wait_ms: int = 20


LAYOUTS = (
    Layout("4 loops, 1 topic of 6 partitions each", ((SIX_A,),) * 4),
    Layout("4 loops, 1 topic of 1 partition each", ((ONE,),) * 4),
    Layout("4 loops, 2 topics of 6 each (merged)", ((SIX_A, SIX_B),) * 4),
    Layout("8 loops, 1 topic of 6 each (apart)", ((SIX_A,),) * 4 + ((SIX_B,),) * 4),
    Layout("4 loops of 6 partitions, poll 100 ms", ((SIX_A,),) * 4, poll_ms=100),
)


def cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(bootstrap: str, broker: psutil.Process, layout: Layout, seconds: float) -> tuple[float, float]:
    """% of one core of the broker and of this process over ``seconds``, the layout's loops polling."""
    consumers = [
        AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=f"cost-{uuid.uuid4().hex[:8]}",
                         fetch_max_wait_ms=layout.fetch_wait_ms, auto_offset_reset="earliest")
        for topics in layout.loops
    ]
    for consumer in consumers:
        await consumer.start()

    async def poll(consumer: AIOKafkaConsumer) -> None:
        while True:
            await consumer.getmany(timeout_ms=layout.poll_ms)

    tasks = [asyncio.create_task(poll(c)) for c in consumers]
    try:
        await asyncio.sleep(4)  # groups joined, fetch loops running
        me = psutil.Process()
        began, broker_began, me_began = time.monotonic(), cpu_s(broker), cpu_s(me)
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - began
        return ((cpu_s(broker) - broker_began) / elapsed * 100, (cpu_s(me) - me_began) / elapsed * 100)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for consumer in consumers:
            await consumer.stop()


async def run(kafka: EmbeddedKafka, seconds: float, rounds: int) -> dict[str, list[tuple[float, float]]]:
    assert kafka.process is not None, "the embedded broker is started"
    broker = psutil.Process(kafka.process.pid)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(SIX_A, 6, 1), NewTopic(SIX_B, 6, 1), NewTopic(ONE, 1, 1)])
    finally:
        await admin.close()
    results: dict[str, list[tuple[float, float]]] = {layout.name: [] for layout in LAYOUTS}
    for round_ in range(1, rounds + 1):
        for layout in LAYOUTS:
            say(f"putaran {round_}: {layout.name}", f"round {round_}: {layout.name}")
            results[layout.name].append(await measure(kafka.bootstrap_servers, broker, layout, seconds))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="Biaya fetch kosong / what empty busy fetches cost")
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds per layout and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results = on_a_tansu_alone(lambda kafka: run(kafka, args.seconds, args.rounds))
    print(f"\n{'layout (no records; fetch wait 20 ms)':<42} {'Tansu, % of a core':>22} {'clients, %':>16}")
    for name, runs in results.items():
        broker = " / ".join(f"{b:.1f}" for b, _ in runs)
        clients = " / ".join(f"{c:.1f}" for _, c in runs)
        print(f"{name:<42} {broker:>22} {clients:>16}")


if __name__ == "__main__":
    main()

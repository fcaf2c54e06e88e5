"""``python -m tools.bench_wake_cost``: what a round trip costs after a pause, against one right after another.

At a half load a complaint costs about twice the CPU it costs in a burst (docs/performance.md). This tool
measures one reason, on this machine and on the embedded pair alone: the CPU of a round trip to a peer that
has been asleep. It times, with ``time.process_time`` (this process) and the peer's own CPU (psutil):

- a PostgreSQL transaction on one asyncpg connection (BEGIN; an insert; COMMIT), each step apart;
- a produce of one record to the embedded Tansu, waiting for its acknowledgement;

each repeated with no pause between them, then with a pause of 2 and of 10 ms, as a hop at a moderate load
pauses between its batches. The machine's own wake-up (a vCPU that halts when idle and an interrupt to wake
it) is paid by whoever sends, so a round trip after a pause costs several times one in a burst: fewer round
trips per complaint (and fewer processes woken per hop) pay more at a half load than at maximum.

    uv run python -m tools.bench_wake_cost [--repeat 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import asyncpg
import psutil
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from lapor_shared import event_loop
from tools.bench_fetch_cost import cpu_s
from tools.platform_infra import measuring_infrastructure, say

PAUSES_MS = (0, 2, 10)
Step = Callable[[], Awaitable[object]]


async def _timed(steps: list[Step], repeat: int, pause_s: float, peer: Callable[[], float]) -> list[float]:
    """Mean µs of this process's CPU for each step, then µs of the peer's CPU per repetition."""
    spent = [0] * len(steps)
    peer0 = peer()
    for _ in range(repeat):
        for i, step in enumerate(steps):
            began = time.process_time_ns()
            await step()
            spent[i] += time.process_time_ns() - began
        if pause_s:
            await asyncio.sleep(pause_s)
    return [s / repeat / 1000 for s in spent] + [(peer() - peer0) / repeat * 1e6]


def _backends_cpu(postmaster: psutil.Process) -> Callable[[], float]:
    def cpu() -> float:
        processes = [postmaster, *postmaster.children(recursive=True)]
        total = 0.0
        for process in processes:
            with contextlib.suppress(psutil.Error):
                total += cpu_s(process)
        return total
    return cpu


async def postgres_rows(url: str, postmaster: psutil.Process, repeat: int) -> list[list[float]]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TEMP TABLE wake (n int)")
        open_tx: list[asyncpg.transaction.Transaction] = []

        async def begin() -> None:
            open_tx.append(conn.transaction())
            await open_tx[-1].start()

        async def insert() -> None:
            await conn.execute("INSERT INTO wake VALUES ($1)", 1)

        async def commit() -> None:
            await open_tx.pop().commit()

        await _timed([begin, insert, commit], 50, 0, lambda: 0.0)  # warm
        return [await _timed([begin, insert, commit], repeat, ms / 1000, _backends_cpu(postmaster))
                for ms in PAUSES_MS]
    finally:
        await conn.close()


async def tansu_rows(bootstrap: str, broker: psutil.Process, repeat: int) -> list[list[float]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic("wake", 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:
        async def produce() -> None:
            await producer.send_and_wait("wake", b"x" * 1000)

        await _timed([produce], 50, 0, lambda: 0.0)  # warm
        return [await _timed([produce], repeat, ms / 1000, lambda: cpu_s(broker)) for ms in PAUSES_MS]
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    infra, _ = measuring_infrastructure("lapor-wake-")
    try:
        assert infra.postgres is not None, "the embedded PostgreSQL (a configured server is not measured)"
        postmaster = psutil.Process(int((infra.postgres.data_dir / "postmaster.pid").read_text().split()[0]))
        say("transaksi PostgreSQL", "PostgreSQL transactions (BEGIN; INSERT; COMMIT)")
        pg = event_loop.run(postgres_rows(infra.database_url, postmaster, args.repeat))
        assert infra.kafka is not None and infra.kafka.process is not None, "the embedded Tansu"
        say("produce ke Tansu", "produces to the embedded Tansu")
        kafka = event_loop.run(tansu_rows(infra.bootstrap_servers, psutil.Process(infra.kafka.process.pid),
                                          args.repeat))
    finally:
        infra.close()
    print("\nCPU µs per step (this process), and the peer's per repetition")
    print(f"{'pause':>6}  {'BEGIN':>7} {'INSERT':>7} {'COMMIT':>7} {'server':>7}   {'produce':>8} {'Tansu':>7}")
    for ms, p, k in zip(PAUSES_MS, pg, kafka, strict=True):
        print(f"{ms:>4} ms  {p[0]:7.1f} {p[1]:7.1f} {p[2]:7.1f} {p[3]:7.1f}   {k[0]:8.1f} {k[1]:7.1f}")


if __name__ == "__main__":
    main()

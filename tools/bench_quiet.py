"""What the quiet costs the first reporter after it (issue 17): complaints sent one by one onto a platform
nobody has filed on for a while, each timed end to end and per hop as ``make bench`` times them (Kafka record
timestamps: submission → ``notification.sent`` for the routed event). ``make bench-idle`` runs it after its
measured minute (``--after-quiet N``), when every hop of the pipeline has the quiet waits of
``lapor_shared.fetch_pace``."""

from __future__ import annotations

import asyncio

from tools.bench import publish
from tools.bench_report import Collector, summarise
from tools.bench_workload import Workload
from tools.platform_infra import say


async def after_quiet(bootstrap: str, count: int, quiet_s: float, timeout: float = 120.0) -> list[dict[str, object]]:
    """``count`` complaints, each sent alone onto a platform nobody has filed on for a while (the first right
    away, each later one after ``quiet_s``): each one's time end to end and per hop, in ms (None if it did
    not complete within ``timeout``)."""
    collector = Collector(bootstrap)
    await collector.start()
    workload = Workload(seed=17)
    found: list[dict[str, object]] = []
    try:
        for i in range(count):
            if i:
                await asyncio.sleep(quiet_s)
            ids = set(await publish(bootstrap, workload, 1, None))
            done = await collector.wait_for(ids, timeout=timeout)
            if not done:
                found.append({"e2e_ms": None, "hop_ms": None})
                continue
            summary = summarise(collector, done)
            found.append({"e2e_ms": round(summary["e2e_ms"]["p50"]),
                          "hop_ms": {hop: round(ms["p50"]) for hop, ms in summary["hop_ms"].items()}})
            say(f"  laporan setelah sepi: {found[-1]['e2e_ms']} ms", f"a complaint after the quiet: "
                f"{found[-1]['e2e_ms']} ms end to end", mark=" ")
    finally:
        await collector.stop()
    return found


def priced_table(priced: list[dict[str, object]]) -> str:
    """``after_quiet``'s results, one complaint a line."""
    lines = ["the first complaint after a quiet spell, ms: end to end (intake / routing / followup / notify)"]
    for one in priced:
        hops = one["hop_ms"]
        assert hops is None or isinstance(hops, dict)
        lines.append(f"  {one['e2e_ms']}" + (f"  ({hops['intake']} / {hops['routing']} / {hops['followup']} / "
                                              f"{hops['notify']})" if hops else "  (not completed)"))
    return "\n".join(lines)

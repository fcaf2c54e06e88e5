"""Runs the call-centre import on a file with a fake transport and prints what happened, as JSON.

``python probe.py FILE.csv``: run in its own process by the tests, so that its peak memory
is the import's alone. The transport is a fake of the import's own ``Transport`` interface: it answers
every message as accepted at once and keeps nothing but a count.
"""

from __future__ import annotations

import asyncio
import io
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lapor_gateway.call_centre.importer import run_import
from lapor_gateway.call_centre.transport import OutcomeBook


class AcceptingTransport:
    def __init__(self) -> None:
        self.book = OutcomeBook()
        self.published = 0

    async def publish(self, envelope: Any) -> None:
        self.published += 1
        self.book.answers[envelope.payload.channel_message_id] = {
            "status": "diterima", "tracking_number": f"LPR-TEST-{self.published}"}

    async def flush(self) -> None:
        pass


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``: unlike ``ru_maxrss``, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


async def main(path: Path) -> dict[str, Any]:
    transport = AcceptingTransport()
    before, started = peak_rss_mb(), time.monotonic()
    report = await run_import(path, transport, source="lampung", timeout=5, out=io.StringIO())
    return {
        "published": transport.published,
        "statuses": Counter(r.status for r in report.results),
        "invalid": [[r.line, r.reasons] for r in report.results if r.status == "galat"],
        "seconds": round(time.monotonic() - started, 1),
        "rss_before_mb": round(before), "rss_peak_mb": round(peak_rss_mb()),
        "output_rows": sum(1 for _ in report.output.open(encoding="utf-8")) - 1,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(Path(sys.argv[1])))))

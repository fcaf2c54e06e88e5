"""Intake's housekeeping: reporter activity and channel counters older than every window they serve are
deleted in the background.

``reporter_activity`` answers two questions about a reporter's recent complaints (the rate limit and the
duplicate check), each over a window; a row older than the longest window answers neither. Deleting them
used to be one more statement in every accepted complaint's transaction; a periodic round does it in
chunks now, off the path a complaint takes (rows others hold are skipped and taken in a later round).
"""

from __future__ import annotations

from typing import Any

from lapor_intake import repository
from lapor_shared.background import BackgroundLoop
from lapor_shared.logging import get_logger
from lapor_shared.runtime import Runtime

log = get_logger(component="intake.housekeeping")

CHUNK = 500
"""Rows deleted per statement: short transactions, a round repeats until a chunk comes back short."""


class ActivityPruner:
    def __init__(self, runtime: Runtime[Any], *, older_than_s: int, channel_window_s: int, interval_s: float) -> None:
        self.runtime = runtime
        self.older_than_s = older_than_s
        self.channel_window_s = channel_window_s
        self._loop = BackgroundLoop("intake-activity-pruner", self._round, idle_s=interval_s,
                                    failure_event="activity_prune_failed", log=log)

    async def prune_once(self) -> int:
        """Delete every activity row older than the longest window (in chunks) and the channel counters no
        window reaches; how many activity rows went."""
        async with self.runtime.pool.acquire() as conn:
            await repository.prune_channel_counts(conn, window_s=self.channel_window_s)
        deleted = 0
        while True:
            async with self.runtime.pool.acquire() as conn:
                chunk = await repository.prune_activity(conn, older_than_s=self.older_than_s, limit=CHUNK)
            deleted += chunk
            if chunk < CHUNK:
                break
        if deleted:
            log.info("activity_pruned", rows=deleted)
        return deleted

    async def start(self, _runtime: Runtime[Any]) -> None:
        self._loop.start()

    async def stop(self, _runtime: Runtime[Any]) -> None:
        await self._loop.stop(grace_s=1)

    async def _round(self) -> bool:
        await self.prune_once()
        return False

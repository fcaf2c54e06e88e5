"""A delivery worker's proof of life: a session-level advisory lock on a connection of its own.

The worker stamps every claim with its key. PostgreSQL drops a session-level lock the moment the
connection that holds it ends, which a process's death (SIGKILL, OOM, a lost node whose TCP connection
is reset) does at once; so "the key is no longer held" means "the worker that claimed this is gone", and
any other worker (or the dead one's restarted successor) may take its claims back without waiting for
their lease. The same connection listens for new deliveries (``LISTEN``), so it costs no extra
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import asyncpg

from lapor_notify import repository
from lapor_shared.db import holds_session_state

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy
from lapor_shared.logging import get_logger

log = get_logger(component="notify.worker")

LOCK_CLASS = 0x4E4F5449
"""First key of the workers' liveness locks (two-key advisory locks; no other lock uses it)."""


def _new_key() -> int:
    return random.randint(1, 2**31 - 1)


class Liveness:
    def __init__(self, pool: Callable[[], asyncpg.Pool], on_notify: Callable[[object, int, str, object], None]) -> None:
        self._pool = pool
        self._on_notify = on_notify
        self._conn: PoolConnectionProxy | None = None
        self._lock = asyncio.Lock()
        self.key = 0
        """The key stamped on this worker's claims (0 until the lock was first held)."""

    @property
    def held(self) -> bool:
        try:
            return self._conn is not None and not self._conn.is_closed()
        except asyncpg.InterfaceError:  # the pool took the connection back when it was lost
            return False

    async def ensure(self) -> None:
        """Hold the lock (again, after the database restarted: with the same key when it is free)."""
        if self.held:
            return
        async with self._lock:  # rounds may run side by side (tests drain concurrently)
            if self.held:
                return
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await self._drop(conn)
            conn = await self._pool().acquire()
            try:
                key = self.key or _new_key()
                while not await repository.hold_liveness(conn, LOCK_CLASS, key):
                    key = _new_key()  # a live worker holds it: ours ended with the old connection
                holds_session_state(conn)  # the lock and the LISTEN: released with the full reset
                with contextlib.suppress(Exception):  # without LISTEN the worker still polls
                    await conn.add_listener(repository.WAKE_CHANNEL, self._on_notify)
            except BaseException:
                await self._drop(conn)
                raise
            if self.key and key != self.key:
                log.warning("delivery_worker_key_changed", previous=self.key, worker_key=key)
            self.key, self._conn = key, conn
            log.info("delivery_worker_alive", worker_key=key)

    async def release(self) -> None:
        """Give the lock up (a graceful stop): whatever this worker still has claimed is anyone's at once."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        with contextlib.suppress(Exception):
            await conn.remove_listener(repository.WAKE_CHANNEL, self._on_notify)
        with contextlib.suppress(Exception):
            await conn.execute("SELECT pg_advisory_unlock($1::int, $2::int)", LOCK_CLASS, self.key)
        await self._drop(conn)

    async def _drop(self, conn: PoolConnectionProxy) -> None:
        try:
            await asyncio.wait_for(self._pool().release(conn), timeout=2)
        except Exception:
            with contextlib.suppress(Exception):  # already back in the pool, or gone with the server
                conn.terminate()

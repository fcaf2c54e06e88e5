"""Waking the HTTP request that waits for intake's answer, on whichever replica holds it.

The results consumer (one consumer group for the whole gateway) records every answer in the gateway's
``answers`` table and, in the same transaction, sends ``NOTIFY lapor_answers_<schema>`` naming the
channel message. PostgreSQL delivers it at commit to every replica's listening connection; the
replica's ``AnswerBoard`` wakes the requests waiting for that channel message, which then read the
answer from the table. Nothing is lost when a notification is: a waiting request also reads the table
every ``recheck_s`` (``LAPOR_ADAPTERS__RECHECK_S``), and the listener reconnects after the database
went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator

import asyncpg

from lapor_shared.db import Conn
from lapor_shared.logging import get_logger
from lapor_shared.retry import backoff, worth_logging
from lapor_shared.runtime import Runtime

log = get_logger(component="gateway.wakeups")

Key = tuple[str, str]


def channel_name(schema: str) -> str:
    """The PostgreSQL notification channel of a gateway schema's answers."""
    return f"lapor_answers_{schema}"


class AnswerBoard:
    """In-process wake-ups: a request waiting for a channel message's answer sleeps on its event."""

    def __init__(self) -> None:
        self._events: dict[Key, asyncio.Event] = {}
        self._watchers: dict[Key, int] = {}

    @contextlib.contextmanager
    def watch(self, channel: str, channel_message_id: str) -> Iterator[asyncio.Event]:
        key = (channel, channel_message_id)
        event = self._events.setdefault(key, asyncio.Event())
        self._watchers[key] = self._watchers.get(key, 0) + 1
        try:
            yield event
        finally:
            self._watchers[key] -= 1
            if self._watchers[key] == 0:
                del self._watchers[key]
                del self._events[key]

    def notify(self, channel: str, channel_message_id: str) -> None:
        event = self._events.get((channel, channel_message_id))
        if event is not None:
            event.set()

    @property
    def waiting(self) -> int:
        return len(self._events)


class AnswerListener:
    """One connection per process that ``LISTEN``s to the schema's answers and tells the board."""

    def __init__(self, board: AnswerBoard) -> None:
        self._board = board
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        """Set while the connection listens (tests wait for it)."""
        self.notifications = 0

    async def start(self, runtime: Runtime) -> None:
        self._task = asyncio.create_task(self._run(runtime), name="gateway-answer-listener")

    async def stop(self, runtime: Runtime) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            channel, channel_message_id = json.loads(str(payload))
        except (ValueError, TypeError):
            return
        self.notifications += 1
        self._board.notify(str(channel), str(channel_message_id))

    async def _run(self, runtime: Runtime) -> None:
        failures = 0
        while True:
            try:
                conn = await asyncpg.connect(runtime.settings.database_url,
                                             server_settings={"application_name": f"lapor-{runtime.schema}-listen"})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = backoff(failures, 0.2, 5.0)
                if worth_logging(failures):
                    log.warning("answer_listener_reconnecting", error=repr(exc)[:300], failures=failures,
                                retry_in_s=round(delay, 3))
                await asyncio.sleep(delay)
                continue
            failures = 0
            await self._listen(conn, channel_name(runtime.schema))
            log.warning("answer_listener_connection_lost")

    async def _listen(self, conn: Conn, name: str) -> None:
        """Listen on ``conn`` until the database drops it."""
        closed = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: closed.set())
            await conn.add_listener(name, self._on_notify)
            self.listening.set()
            await closed.wait()
        finally:
            self.listening.clear()
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

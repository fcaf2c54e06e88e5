"""Notify's test harness: the service on the in-memory broker with a real database (``NotifyHarness``),
and fakes of notify's own ``Channel`` interface (``RecordingChannel``) that fail when told to."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lapor_notify import repository
from lapor_notify.app import build
from lapor_notify.channels.base import OutboundMessage, PermanentError, TransientError
from lapor_notify.recipients import RecipientSeed
from lapor_notify.settings import NotifySettings, SendingSettings
from lapor_shared.clock import Clock
from lapor_shared.testing.service import ServiceHarness
from lapor_shared.topics import DEAD_LETTER, NOTIFICATIONS

# --- fakes of our own Channel interface -----------------------------------------------------------


class RecordingChannel:
    """Records every message; ``failures`` is a list of exceptions to raise first (one per call), and
    ``fail_when(message)`` can pick messages that always fail."""

    def __init__(self, name: str, *, failures: list[Exception] | None = None,
                 fail_when: Callable[[OutboundMessage], Exception | None] | None = None,
                 delay_s: float = 0.0) -> None:
        self.name = name
        self.sent: list[OutboundMessage] = []
        self.calls = 0
        self._failures = list(failures or [])
        self._fail_when = fail_when
        self._delay_s = delay_s

    async def send(self, message: OutboundMessage) -> None:
        self.calls += 1
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        if self._fail_when is not None and (exc := self._fail_when(message)) is not None:
            raise exc
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(message)


def transient(reason: str = "provider busy") -> TransientError:
    return TransientError(reason)


def permanent(reason: str = "address refused") -> PermanentError:
    return PermanentError(reason)


# --- notify on the in-memory broker ---------------------------------------------------------------

DEFAULT_TEST_SENDING = {"autostart": False, "backoff_initial_s": 30.0, "max_attempts": 4, "contact_wait_s": 600.0,
                        "inbox_at_once": False}
"""The worker does not run by itself (a test sends with ``deliver``); retries and contact waits are long
enough that only a test's clock brings them about. The worker's tests use the in-app inbox as their
simplest channel, so here the worker writes it; ``test_in_app.py`` tests it written at once (the default)."""


class NotifyHarness(ServiceHarness):
    """``async with NotifyHarness(database_url, channels=…, clock=…) as h``: notify on the in-memory broker
    with a real database; ``h.events`` (lapor.notifications) and ``h.dead_letters`` are what it published."""

    def __init__(self, database_url: str, *, channels: dict[str, Any] | None = None, clock: Clock | None = None,
                 sending: dict[str, Any] | None = None, **settings: Any) -> None:
        settings.setdefault("recipients_file", "")
        self.settings = NotifySettings(
            database_url=database_url, sending=SendingSettings(**{**DEFAULT_TEST_SENDING, **(sending or {})}),
            **settings,
        )
        self.service = build(self.settings, clock=clock, channels=channels)
        super().__init__(self.service.runtime, watch=[NOTIFICATIONS.name, DEAD_LETTER.name])
        self.worker = self.service.worker
        self.notifier = self.service.notifier
        self.clock: Clock = self.notifier.clock

    @property
    def events(self) -> list[dict[str, Any]]:
        """``notification.sent`` and ``notification.failed``, as published."""
        return self.messages(NOTIFICATIONS.name)

    @property
    def dead_letters(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Each dead letter's body and headers."""
        return [(p.json(), p.headers) for p in self.published_on(DEAD_LETTER.name)]

    async def deliver(self) -> None:
        """Send everything due now, then let the outbox relay publish what that produced."""
        await self.worker.drain()
        await self.settle()

    async def add_recipient(self, recipient_ref: str, **fields: Any) -> None:
        seed = RecipientSeed(recipient_ref=recipient_ref, **fields)
        async with self.pool.acquire() as conn:
            await repository.upsert_recipient(conn, seed.model_dump(), self.clock.now())

    async def deliveries(self, **where: Any) -> list[dict[str, Any]]:
        clauses = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, start=1)) or "true"
        rows = await self.pool.fetch(f"SELECT * FROM notifications WHERE {clauses} ORDER BY created_at, channel",
                                     *where.values())
        return [dict(r) for r in rows]

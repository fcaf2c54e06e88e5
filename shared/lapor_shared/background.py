"""The one shape of a service's background work: a named task that repeats a round until it is stopped.

The outbox relay, the observer, followup's timer poller and notify's delivery worker are each a
``BackgroundLoop`` around their own round:

- ``step()`` does one round and returns True when there may be more to do at once; otherwise the loop
  waits ``idle_s``, or less when someone calls ``wake()`` (a NOTIFY, a freed slot, a test);
- a round that raises is the infrastructure's trouble, not the loop's end: it is logged (a line per
  doubling of the failures in a row, as ``retry.worth_logging`` says) and the loop waits before the
  next round, twice as long after each failure in a row, from ``backoff_initial_s`` to ``backoff_max_s``.
  Only stopping cuts that wait short: a flood of wake-ups during an outage must not become a hot loop;
- ``stop()`` sets ``stopping`` (a long round checks it to finish early), wakes the loop, waits up to
  ``grace_s`` for the round in progress and cancels it after that.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lapor_shared.logging import get_logger, redact_text
from lapor_shared.retry import worth_logging

Step = Callable[[], Awaitable[bool]]


class BackgroundLoop:
    def __init__(
        self, name: str, step: Step, *, idle_s: float, failure_event: str | Callable[[], str],
        backoff_initial_s: float = 0.5, backoff_max_s: float = 30.0, log: Any = None,
        log_fields: Mapping[str, Any] | None = None,
    ) -> None:
        """``failure_event`` names the log line of a failed round (or says it, when the name depends on
        the owner's state); ``log`` is the owner's logger, ``log_fields`` go on every line."""
        self.name = name
        self._step = step
        self.idle_s = idle_s
        self._failure_event = failure_event
        self._initial_s = backoff_initial_s
        self._max_s = backoff_max_s
        self._log = log or get_logger(component="background")
        self._fields = dict(log_fields or {})
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.failures = 0
        """Rounds failed in a row (0 after a round that worked)."""

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Ask the round in progress to finish, wait up to ``grace_s`` for it, then cancel it."""
        self._stopping.set()
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=grace_s)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        elif not task.cancelled():
            task.exception()  # retrieved: a loop never ends with one, but a cancelled round might

    def wake(self) -> None:
        """Look now: ends the idle wait (not a failure's back-off)."""
        self._wake.set()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less when woken or stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when stopped (being woken does not end it)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def back_off(self, event: str, exc: BaseException, failures: int) -> None:
        """Log the ``failures``-th failure in a row (a line per doubling) and pause before the next try.

        The loop calls it for a failed round; an owner that retries inside a long round (the relay keeps
        its lead while some rows wait) calls it with its own count and event."""
        delay = min(self._initial_s * 2 ** (failures - 1), self._max_s)
        if worth_logging(failures):
            self._log.warning(event, **self._fields, error=redact_text(repr(exc)[:1000])[:500], failures=failures,
                              retry_in_s=delay)
        await self.pause(delay)

    async def _run(self) -> None:
        while not self.stopping:
            try:
                more = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or the broker is away: keep trying, never die
                self.failures += 1
                event = self._failure_event if isinstance(self._failure_event, str) else self._failure_event()
                await self.back_off(event, exc, self.failures)
                continue
            self.failures = 0
            if not more and not self.stopping:
                await self.sleep(self.idle_s)

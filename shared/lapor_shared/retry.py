"""What counts as the infrastructure's failure rather than the message's, and how long to wait for it."""

from __future__ import annotations

import random

import asyncpg

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.exceptions.OperatorInterventionError,  # admin/crash shutdown, cannot connect now, query cancelled
    asyncpg.exceptions.InsufficientResourcesError,  # disk full, out of memory, too many connections
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a failover left us on a standby for a moment
    OSError,  # connection resets and refusals (ConnectionError is one)
    TimeoutError,
)
"""Failures of the infrastructure, not of the message: waited out and retried without limit. Every
other error is the message's own and ends in the dead-letter topic after ``handler_max_attempts``."""


def backoff(attempt: int, initial_s: float, max_s: float) -> float:
    """Exponential, capped, with jitter (half to all of it) so that replicas do not retry in step."""
    return min(initial_s * 2.0 ** (attempt - 1), max_s) * random.uniform(0.5, 1.0)


def worth_logging(attempt: int) -> bool:
    """1, 2, 4, 8 …: a failure that repeats writes a line per doubling, not one per try."""
    return attempt & (attempt - 1) == 0

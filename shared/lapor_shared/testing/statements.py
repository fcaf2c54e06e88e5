"""Counting what a use case sends to PostgreSQL: a test that a batch costs a few statements, not a few per
event (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

_SENDING = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval"})


class CountingConnection:
    """Stands for an asyncpg connection and writes down every statement sent through it (whitespace
    folded) in ``statements`` (a list of its own unless one is given)."""

    def __init__(self, conn: Any, statements: list[str] | None = None) -> None:
        self._conn = conn
        self.statements: list[str] = [] if statements is None else statements

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._conn, name)
        if name not in _SENDING:
            return method

        async def counted(query: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append(" ".join(query.split()))
            return await method(query, *args, **kwargs)

        return counted


class CountingPool:
    """Stands for a pool whose connections are ``CountingConnection``s writing into one ``statements``:
    everything a consumer sends, its inbox and outbox statements too."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self.statements: list[str] = []

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[CountingConnection]:
        async with self._pool.acquire() as conn:
            yield CountingConnection(conn, self.statements)


def counting(use_case: Callable[..., Awaitable[Any]], statements: list[str]) -> Callable[..., Awaitable[Any]]:
    """``use_case(conn, …)`` with every statement it sends on ``conn`` written down in ``statements``."""

    async def wrapped(conn: Any, *args: Any, **kwargs: Any) -> Any:
        return await use_case(CountingConnection(conn, statements), *args, **kwargs)

    return wrapped

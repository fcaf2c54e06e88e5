"""Counting what a use case sends to PostgreSQL: a test that a batch costs a few statements, not a few per
event (issue 17)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

_SENDING = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval"})


class CountingConnection:
    """Stands for an asyncpg connection and writes down the start of every statement sent through it."""

    def __init__(self, conn: Any, statements: list[str]) -> None:
        self._conn = conn
        self._statements = statements

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._conn, name)
        if name not in _SENDING:
            return method

        async def counted(query: str, *args: Any, **kwargs: Any) -> Any:
            self._statements.append(" ".join(query.split())[:80])
            return await method(query, *args, **kwargs)

        return counted


def counting(use_case: Callable[..., Awaitable[Any]], statements: list[str]) -> Callable[..., Awaitable[Any]]:
    """``use_case(conn, …)`` with every statement it sends on ``conn`` written down in ``statements``."""

    async def wrapped(conn: Any, *args: Any, **kwargs: Any) -> Any:
        return await use_case(CountingConnection(conn, statements), *args, **kwargs)

    return wrapped
